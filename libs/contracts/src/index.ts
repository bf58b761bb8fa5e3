export * from './queues';
export * from './command-status';
export * from './api';
export * from './internal';
export * from './events';
export * from './list-query';
export * from './assignments';
export * from './inventory';
