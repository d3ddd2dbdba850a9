export * from './analytics-api';
export * from './consumer-secret';
export * from './events';
export * from './rpc';
export * from './streams';
export * from './bus-access';
