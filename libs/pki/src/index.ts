export * from './errors';
export * from './certificates';
export * from './authority';
export * from './cms';
export * from './trust-store';
export * from './forwarded-certificate';
export * from './push-certificate';
export * from './secret-box';
