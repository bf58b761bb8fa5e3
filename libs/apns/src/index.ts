export * from './apns-client';
export * from './apns-response';
export * from './proxy';
export * from './apns-id';
