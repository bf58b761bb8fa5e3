// Response views of the admin API, defined once: the services return them, the console and mdmctl read them.
export * from './json';
export * from './devices';
export * from './commands';
export * from './profiles';
export * from './webhooks';
export * from './events';
export * from './enrollment';
