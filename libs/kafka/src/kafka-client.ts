import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';

import { redactCredentials } from '@app/config';
import type { JsonLogger } from '@app/observability';
import { ThrottledLog } from '@app/retry';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

// kafkajs says these while a fresh broker loads its coordinators; it retries them itself.
const transient = /coordinator is (loading|not available)|not the correct coordinator|There is no leader/i;

/**
 * kafkajs's own retries: doubling from 300 ms, each delay capped at 10 s and randomized by kafkajs
 * (factor 0.2), 10 of them before an operation fails to its caller (whose loop backs off in turn).
 */
export const KAFKA_RETRY = { initialRetryTime: 300, retries: 10, maxRetryTime: 10_000 } as const;

/**
 * A kafkajs client whose log lines go to our JSON logger, quietened of the noise it retries by itself:
 * what it repeats (a broker down: one "Connection error" per attempt per connection) is logged at most
 * once per 10 s per logger and message, with a count, and nothing it logs carries a password.
 */
export function createKafka(conn: KafkaConnection, logger: JsonLogger): Kafka {
  const log = logger.child('kafkajs');
  const errors = new ThrottledLog({ warn: (message, fields) => log.error(message, fields) });
  const warnings = new ThrottledLog(log);
  const config: KafkaConfig = {
    clientId: conn.clientId,
    brokers: conn.brokers,
    ssl: conn.ssl,
    sasl: conn.sasl as SASLOptions | undefined,
    retry: { ...KAFKA_RETRY },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const {
          message,
          timestamp: _timestamp,
          logger: _logger,
          ...fields
        } = entry as LogEntry['log'] & {
          logger?: string;
        };
        if (transient.test(String(message)) || transient.test(String(fields.error ?? ''))) return;
        const text = redactCredentials(String(message));
        const safe = redactFields(fields);
        // numbers (ports, offsets, retry counts) apart, a message is one cause: the set stays small
        const cause = `${namespace}:${text.replace(/\d+/g, '#')}`;
        if (level === logLevel.ERROR) errors.warn(cause, text, safe);
        else if (level === logLevel.WARN) warnings.warn(cause, text, safe);
        else log.debug(text, safe);
      },
  };
  return new Kafka(config);
}

/** kafkajs's log fields with anything secret-looking dropped and any URL's password masked. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (/password|secret|sasl|token|credential/i.test(key)) out[key] = '***';
    else if (typeof value === 'string') out[key] = redactCredentials(value);
    else out[key] = value;
  }
  return out;
}
