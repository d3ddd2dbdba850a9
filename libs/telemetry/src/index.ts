export * from './logger';
export * from './request-context';
export * from './tracing';
export * from './recent-answer';
