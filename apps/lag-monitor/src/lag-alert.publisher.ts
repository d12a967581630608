import type { Kafka, Producer } from 'kafkajs';

import type { Alert } from '@app/contracts';
import { exactProducer } from '@app/kafka';

/**
 * Sends CONSUMER_LAG revisions to the alerts topic, keyed by alertId, through an idempotent producer
 * (acks from all in-sync replicas, one request in flight), so a retried send is written once and in order.
 */
export class LagAlertPublisher {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = exactProducer(kafka, { retries: 10, maxRetryTimeMs: 5_000 });
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async publish(alert: Alert): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: alert.alertId, value: JSON.stringify(alert) }],
    });
  }

  async stop(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
