export * from './messaging.options';
export * from './messaging.module';
export * from './job-producer';
export * from './on-job.decorator';
export * from './broadcast';
export * from './redis-connection';
export * from './redis-reachability';
export * from './queue-metrics';
