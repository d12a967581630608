import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import {
  Channel,
  channelFormats,
  DeliveryQueue,
  SubscriptionStore,
  type ChannelFormat,
  type ChannelReply,
  type ChannelRequest,
} from '@app/subscriptions';

import { retryDelayMs } from './backoff';
import type { NotifierConfig } from './notifier.config';
import { NOTIFIER_CONFIG } from './notifier.tokens';

const RESULTS = ['delivered', 'retried', 'abandoned'] as const;
/** a chat robot's minute, with a second of margin for clocks and network delay */
const RATE_WINDOW_MS = 61_000;
const GAUGE_EVERY_MS = 5_000;

/**
 * The notifier's output. Every poll, takes the subscriptions whose deliveries are due and, for each one
 * whose lease it wins (one instance sends to a receiver at a time), sends what is due as one request:
 * delivered leaves the queue; a failure keeps it and waits (exponential backoff with jitter); what is
 * still unsent NOTIFIER_GIVE_UP_HOURS after it was queued is abandoned, counted and shown. Chat robots get
 * at most NOTIFIER_CHAT_PER_MINUTE requests a minute; what is due meanwhile is merged into the next one.
 */
@Injectable()
export class DeliverySender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly formats: Record<Channel, ChannelFormat>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private gaugeTimer?: NodeJS.Timeout;
  private round: Promise<void> = Promise.resolve();
  private stopping = false;
  private lastRoundAt = 0;

  constructor(
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly store: SubscriptionStore,
    private readonly queue: DeliveryQueue,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('sender');
    this.formats = channelFormats({
      publicBaseUrl: config.publicUrl,
      firingHoldMs: config.alertmanagerHoldMs,
    });
    for (const channel of Channel.options)
      for (const result of RESULTS) metrics.deliveries.labels({ channel, result }).inc(0);
  }

  onApplicationBootstrap(): void {
    this.log.info('sending', {
      instance: this.config.instanceId,
      chatPerMinute: this.config.chatPerMinute,
      retryBaseMs: this.config.retryBaseMs,
      retryMaxMs: this.config.retryMaxMs,
      giveUpHours: this.config.giveUpMs / 3_600_000,
    });
    this.schedule(0);
    this.gaugeTimer = setInterval(() => void this.updateGauges(), GAUGE_EVERY_MS);
  }

  /** For the readiness check: a poll completed lately. */
  pollsAreRecent(nowMs: number): boolean {
    return nowMs - this.lastRoundAt <= Math.max(10_000, 4 * this.config.pollMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.round = this.poll().then(
        (busy) => {
          this.lastRoundAt = Date.now();
          this.schedule(busy ? Math.min(50, this.config.pollMs) : this.config.pollMs);
        },
        (error: unknown) => {
          this.log.warn('delivery poll failed; retrying', { error: (error as Error).message });
          this.schedule(Math.min(this.config.pollMs * 4, 5_000));
        },
      );
    }, delayMs);
  }

  /** Starts sends for due subscriptions up to the concurrency; true when it started any. */
  private async poll(): Promise<boolean> {
    const free = this.config.concurrency - this.inFlight.size;
    if (free <= 0) return true;
    const due = await this.queue.due(Date.now(), free + this.inFlight.size);
    let started = 0;
    for (const id of due) {
      if (this.inFlight.has(id) || this.inFlight.size >= this.config.concurrency) continue;
      const work = this.deliver(id)
        .catch((error: unknown) =>
          this.log.warn('delivery round failed', { subscription: id, error: (error as Error).message }),
        )
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, work);
      started++;
    }
    return started > 0;
  }

  /** One request for one subscription, under its lease. */
  private async deliver(id: string): Promise<void> {
    const leaseMs = this.config.sendTimeoutMs + 5_000;
    if (!(await this.queue.claim(id, this.config.instanceId, leaseMs))) return;
    try {
      const sub = await this.store.getWithSecret(id);
      if (!sub) return; // deleted: its queue went with it
      const format = this.formats[sub.channel];
      let now = Date.now();

      const abandoned = await this.queue.abandonExpired(id, now - this.config.giveUpMs);
      if (abandoned.length > 0) {
        this.metrics.deliveries.labels({ channel: sub.channel, result: 'abandoned' }).inc(abandoned.length);
        this.log.error('abandoned deliveries after the retry window', {
          subscription: id,
          channel: sub.channel,
          count: abandoned.length,
          giveUpHours: this.config.giveUpMs / 3_600_000,
        });
      }

      if (format.chat) {
        const { count, oldestMs } = await this.queue.sentInLastMinute(id, now, RATE_WINDOW_MS);
        if (count >= this.config.chatPerMinute) {
          await this.queue.postpone(id, oldestMs + RATE_WINDOW_MS + 1);
          return;
        }
      }

      const { deliveries, broken } = await this.queue.pending(id, format.maxDeliveries);
      if (broken.length > 0) {
        await this.queue.dropBroken(id, broken);
        this.metrics.deliveries.labels({ channel: sub.channel, result: 'abandoned' }).inc(broken.length);
        this.log.error('dropped queued deliveries that no longer parse', {
          subscription: id,
          count: broken.length,
        });
      }
      if (deliveries.length === 0) {
        await this.queue.delivered(id, [], now, now); // settles: no longer due unless something came
        return;
      }

      const request = format.request(sub, deliveries, new Date(now));
      if (format.chat) await this.queue.recordSend(id, now);
      const failure = await this.send(request).then(
        (reply) => format.failureOf(reply),
        (error: unknown) => describe(error),
      );
      now = Date.now();
      if (failure === null) {
        const left = await this.queue.delivered(id, request.deliveryIds, now, now);
        this.metrics.deliveries
          .labels({ channel: sub.channel, result: 'delivered' })
          .inc(request.deliveryIds.length);
        this.log.debug('delivered', { subscription: id, count: request.deliveryIds.length, left });
      } else {
        const attempts = (await this.queue.failedAttempts(id)) + 1;
        const nextMs = now + retryDelayMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs);
        await this.queue.failed(id, now, nextMs, failure);
        this.metrics.deliveries
          .labels({ channel: sub.channel, result: 'retried' })
          .inc(request.deliveryIds.length);
        this.log.warn('delivery failed; will retry', {
          subscription: id,
          channel: sub.channel,
          error: failure,
          attempts,
          next: new Date(nextMs).toISOString(),
        });
      }
    } finally {
      await this.queue.release(id, this.config.instanceId).catch(() => undefined);
    }
  }

  private async send(request: ChannelRequest): Promise<ChannelReply> {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(this.config.sendTimeoutMs),
      redirect: 'manual',
    });
    const body = await response.text();
    return { status: response.status, body };
  }

  private async updateGauges(): Promise<void> {
    try {
      const subs = await this.store.list();
      this.metrics.pendingDeliveries.set(subs.reduce((n, s) => n + s.delivery.pending, 0));
      this.metrics.failingSubscriptions.set(subs.filter((s) => s.delivery.failedAttempts > 0).length);
    } catch (error) {
      this.log.debug('could not count pending deliveries', { error: (error as Error).message });
    }
  }

  /** SIGTERM: no new sends; those in flight finish (their outcome recorded) before the process exits. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearInterval(this.gaugeTimer);
    await this.round.catch(() => undefined);
    await Promise.all(this.inFlight.values());
    this.log.info('stopped sending', { instance: this.config.instanceId });
  }
}

/** A fetch error, short, without the URL (a robot URL carries its access token). */
function describe(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
