import type { Admin, Kafka } from 'kafkajs';

/**
 * Whether the Kafka brokers answer, for a readiness check: a metadata request on an admin connection
 * of its own (not the consumer's or a producer's, whose work it must not delay). At most one request
 * is in flight; checks made meanwhile share its answer, so a broker that hangs does not pile them up.
 */
export class KafkaProbe {
  private admin?: Admin;
  private connected = false;
  private pending?: Promise<boolean>;
  private closed = false;

  constructor(private readonly kafka: Kafka) {}

  reachable(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.pending ??= this.ask().finally(() => (this.pending = undefined));
    return this.pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.admin?.disconnect().catch(() => undefined);
  }

  private async ask(): Promise<boolean> {
    // no retries: the next check is the retry
    const admin = (this.admin ??= this.kafka.admin({ retry: { retries: 0 } }));
    try {
      if (!this.connected) {
        await admin.connect();
        this.connected = true;
      }
      await admin.describeCluster();
      return true;
    } catch {
      this.connected = false;
      await admin.disconnect().catch(() => undefined);
      return false;
    }
  }
}
