import { z } from 'zod';

import { env } from './env';

export const KafkaSettings = z
  .object({
    KAFKA_BROKERS: env.string('localhost:9092').pipe(
      z
        .string()
        .transform((v) => v.split(',').map((b) => b.trim()))
        .pipe(z.array(z.string().regex(/^[^\s:@/]+:\d{1,5}$/, 'must be host:port[,host:port...]')).min(1)),
    ),
    KAFKA_CLIENT_ID: env.string('handover-balance'),
    KAFKA_SSL: env.bool(false),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: env.optionalString(),
    KAFKA_SASL_PASSWORD: env.optionalString(),
    /** SASL over plain TCP: only where the network itself is trusted (a test broker, say) */
    KAFKA_ALLOW_SASL_WITHOUT_TLS: env.bool(false),
  })
  .superRefine((v, ctx) => {
    // PLAIN sends the password as it is, and SCRAM without TLS can be replayed against a dictionary
    if (v.KAFKA_SASL_MECHANISM && !v.KAFKA_SSL && !v.KAFKA_ALLOW_SASL_WITHOUT_TLS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['KAFKA_SSL'],
        message:
          'must be true when KAFKA_SASL_MECHANISM is set, or the credentials cross the network unencrypted ' +
          '(KAFKA_ALLOW_SASL_WITHOUT_TLS=true allows it on a trusted network)',
      });
    }
    if (v.KAFKA_SASL_MECHANISM && (!v.KAFKA_SASL_USERNAME || !v.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['KAFKA_SASL_USERNAME'],
        message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
      });
    }
  });
export type KafkaSettings = z.infer<typeof KafkaSettings>;

export interface KafkaConnectionSettings {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export function kafkaConnectionOf(e: KafkaSettings): KafkaConnectionSettings {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID,
    ssl: e.KAFKA_SSL,
    sasl: e.KAFKA_SASL_MECHANISM
      ? {
          mechanism: e.KAFKA_SASL_MECHANISM,
          username: e.KAFKA_SASL_USERNAME ?? '',
          password: e.KAFKA_SASL_PASSWORD ?? '',
        }
      : undefined,
  };
}
