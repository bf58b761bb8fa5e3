export * from './queries';
export * from './answers';
export * from './diff';
