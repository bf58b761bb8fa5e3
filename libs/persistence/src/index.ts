export * from './entities/device.entity';
export * from './entities/apns-certificate.entity';
export * from './entities/certificate-authority.entity';
export * from './entities/command.entity';
export * from './entities/command-delivery.entity';
export * from './data-source';
export * from './persistence.module';
export * from './json';
