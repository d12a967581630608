import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

import { badRequest } from './api-error';

/** Parses a request part (params, query, body) with a zod schema; 400 naming each problem. */
export class ZodPipe<S extends z.ZodTypeAny> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw badRequest(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; '),
    );
  }
}
