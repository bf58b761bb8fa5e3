import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';
import { describeZodError } from '@mdm/contracts';

/** Parses a request part with its schema; bad input becomes a 400 that names each bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  if (value === undefined || value === null) throw new BadRequestException(`${what} is required`);
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequestException(`invalid ${what}: ${describeZodError(result.error)}`);
  return result.data;
}
