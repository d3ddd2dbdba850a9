export * from './analytics-api';
export * from './consumer-secret';
export * from './events';
export * from './jwk';
export { isUuid, problemOf } from './message-schema';
export * from './rpc';
export * from './streams';
export * from './bus-access';
export * from './resource-indicators';
