export * from './worker-thread';
