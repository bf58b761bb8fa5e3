export * from './eventually';
export * from './free-port';
export * from './device-simulator';
export * from './fake-apns';
export type { FakeAnswer, RecordedPush } from './fake-apns-requests';
export * from './test-pki';
export * from './scep-client';
export * from './scep-client-messages';
export * from './connect-session';
