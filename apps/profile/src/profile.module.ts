import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@mdm/service-kit';
import type { ProfileConfig } from './profile.config';

/**
 * Configuration profiles: catalog, build/sign, assignment, desired vs installed state. The
 * foundation only wires its storage, queues and health; the profile domain arrives with its issue.
 */
@Module({})
export class ProfileModule {
  static forRoot(config: ProfileConfig): DynamicModule {
    return {
      module: ProfileModule,
      imports: [
        InfrastructureModule.forRoot(config),
      ],
    };
  }
}
