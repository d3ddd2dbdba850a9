export * from './batch-writer';
export * from './data-source';
export * from './insert-rows';
export * from './database';
export * from './migration-helpers';
export * from './persistence.module';
export * from './serial-queue';
export * from './transformers';
