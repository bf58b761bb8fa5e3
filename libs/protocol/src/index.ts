export * from './plist';
export * from './errors';
export * from './checkin';
export * from './report';
export * from './command';
export * from './device-information';
export * from './catalog/catalog';
export * from './catalog/effective';
