export * from './durable-consumer';
export * from './messaging.entities';
export * from './messaging.migration';
export * from './messaging.module';
export * from './nats-client';
export * from './outbox';
export * from './outbox-relay';
export * from './rpc';
