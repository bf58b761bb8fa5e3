import { SetMetadata } from '@nestjs/common';
import type { JobName } from '@mdm/contracts';

export const ON_JOB = Symbol('OnJob');

/**
 * Marks the handler of one job: `@OnJob('push.batch') handle(data: JobData<'push.batch'>)`.
 * The app refuses to boot if a consumed job has no handler or two.
 */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(ON_JOB, name);
