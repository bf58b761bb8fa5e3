export * from './config';
export * from './logger';
export * from './health';
export * from './bootstrap';
export * from './validation';
export * from './device-identity';
export * from './backoff';
export * from './infrastructure.module';
