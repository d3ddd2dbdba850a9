export * from './auth';
export * from './bootstrap';
export * from './errors';
export * from './form-body';
export * from './observability.controller';
export * from './page-assets';
export * from './tls';
