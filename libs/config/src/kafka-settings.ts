import { z } from 'zod';

import { env } from './env';

export const KafkaSettings = z
  .object({
    KAFKA_BROKERS: env.string('localhost:9092').pipe(
      z
        .string()
        .transform((v) => v.split(',').map((b) => b.trim()))
        .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port[,host:port...]')).min(1)),
    ),
    KAFKA_CLIENT_ID: env.string('handover-balance'),
    KAFKA_SSL: env.bool(false),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: env.optionalString(),
    KAFKA_SASL_PASSWORD: env.optionalString(),
  })
  .superRefine((v, ctx) => {
    if (v.KAFKA_SASL_MECHANISM && (!v.KAFKA_SASL_USERNAME || !v.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['KAFKA_SASL_USERNAME'],
        message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
      });
    }
  });
export type KafkaSettings = z.infer<typeof KafkaSettings>;
