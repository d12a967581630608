import { Partitioners, type Consumer, type ConsumerConfig, type Kafka, type Producer } from 'kafkajs';

/**
 * The system's Kafka consumers and producers, set up in one place. A long-lived client retries for ever
 * with a capped backoff (the service's own loop, not kafkajs, decides when to give up on a batch), and
 * every producer is idempotent with one request in flight, so a retry never reorders or duplicates.
 */

const RETRY_FOR_EVER = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300 };

/** A consumer in `groupId` whose heartbeats keep well inside `sessionTimeoutMs`; `extra` adds to it. */
export function groupConsumer(
  kafka: Kafka,
  groupId: string,
  sessionTimeoutMs: number,
  extra: Omit<ConsumerConfig, 'groupId' | 'sessionTimeout' | 'heartbeatInterval' | 'retry'> = {},
): Consumer {
  return kafka.consumer({
    groupId,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, sessionTimeoutMs / 3),
    retry: { ...RETRY_FOR_EVER, maxRetryTime: 10_000 },
    ...extra,
  });
}

/**
 * An idempotent producer (with `transactionalId`, a transactional one, which a new producer of the same
 * id fences). It retries for ever unless `retries` is given: a caller that must answer in time does so.
 */
export function exactProducer(
  kafka: Kafka,
  options: { transactionalId?: string; retries?: number; maxRetryTimeMs?: number } = {},
): Producer {
  return kafka.producer({
    ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: {
      ...RETRY_FOR_EVER,
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      maxRetryTime: options.maxRetryTimeMs ?? 10_000,
    },
  });
}
