export * from './analytics-api';
export * from './events';
export * from './rpc';
export * from './streams';
