import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';

import type { JsonLogger } from '@app/observability';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

// kafkajs says these while a fresh broker loads its coordinators; it retries them itself.
const transient = /coordinator is (loading|not available)|not the correct coordinator|There is no leader/i;

/** A kafkajs client whose log lines go to our JSON logger, quietened of the noise it retries by itself. */
export function createKafka(conn: KafkaConnection, logger: JsonLogger): Kafka {
  const log = logger.child('kafkajs');
  const config: KafkaConfig = {
    clientId: conn.clientId,
    brokers: conn.brokers,
    ssl: conn.ssl,
    sasl: conn.sasl as SASLOptions | undefined,
    retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const {
          message,
          timestamp: _timestamp,
          logger: _logger,
          ...fields
        } = entry as LogEntry['log'] & {
          logger?: string;
        };
        if (transient.test(String(message)) || transient.test(String(fields.error ?? ''))) return;
        if (level === logLevel.ERROR) log.error(message, fields);
        else if (level === logLevel.WARN) log.warn(message, fields);
        else log.debug(message, fields);
      },
  };
  return new Kafka(config);
}
