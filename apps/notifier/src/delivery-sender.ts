import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import { Backoff, ThrottledLog } from '@app/retry';
import {
  Channel,
  channelFormats,
  DeliveryQueue,
  DestinationPolicy,
  SubscriptionStore,
  type ChannelFormat,
  type ChannelReply,
  type ChannelRequest,
  type StoredSubscription,
} from '@app/subscriptions';

import { retryDelayMs } from './backoff';
import { post, SendError } from './http-post';
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
 * Each send goes only where DestinationPolicy allows, checked then (not just at creation), over a
 * connection to the address checked; a refused destination is a failure like any other, so it shows
 * in `lastError` and is retried (an operator may widen SUBSCRIPTION_ALLOWED_NETWORKS meanwhile).
 */
@Injectable()
export class DeliverySender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly warnings: ThrottledLog;
  private readonly formats: Record<Channel, ChannelFormat>;
  private readonly destinations: DestinationPolicy;
  /** the sender loop's own failures (Redis refusing): its polls back off, capped, with jitter */
  private readonly pollBackoff: Backoff;
  private roundsFailed = false;
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
    this.warnings = new ThrottledLog(this.log);
    this.destinations = new DestinationPolicy(config.destinations);
    this.pollBackoff = new Backoff({ baseMs: config.pollMs, maxMs: Math.max(config.pollMs, 10_000) });
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
      allowedNetworks: this.config.destinations.allowedNetworks.map((n) => n.text),
      allowHttp: this.config.destinations.allowHttp,
      robotProxyHosts: this.config.destinations.robotProxyHosts.map((h) =>
        h.port ? `${h.hostname}:${h.port}` : h.hostname,
      ),
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
          if (this.roundsFailed) {
            // a round that threw left its subscription due: polling again at once would spin on it
            this.roundsFailed = false;
            this.schedule(this.pollBackoff.next());
            return;
          }
          this.pollBackoff.reset();
          this.warnings.clear('poll');
          this.schedule(busy ? Math.min(50, this.config.pollMs) : this.config.pollMs);
        },
        (error: unknown) => {
          const waitMs = this.pollBackoff.next();
          this.warnings.warn('poll', 'delivery poll failed; retrying', {
            error: (error as Error).message,
            attempt: this.pollBackoff.attempt,
            waitMs,
          });
          this.schedule(waitMs);
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
        .catch((error: unknown) => {
          this.roundsFailed = true;
          this.warnings.warn('round', 'delivery round failed', {
            subscription: id,
            error: (error as Error).message,
          });
        })
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
      const failure = await this.send(sub, request).then(
        (reply) => (typeof reply === 'string' ? reply : format.failureOf(reply)),
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
        this.warnings.warn(`send:${id}`, 'delivery failed; will retry', {
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

  /**
   * The receiver's answer, or why the request was not sent (a refused destination). The name is
   * resolved once, here; the connection uses the addresses checked.
   */
  private async send(sub: StoredSubscription, request: ChannelRequest): Promise<ChannelReply | string> {
    const deadline = Date.now() + this.config.sendTimeoutMs;
    const destination = await withTimeout(
      this.destinations.destinationOf(sub.channel, request.url),
      this.config.sendTimeoutMs,
    );
    if (!destination.ok) return `refused: ${destination.refusal}`;
    return post({
      url: destination.url,
      addresses: destination.addresses,
      headers: request.headers,
      body: request.body,
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
  }

  private async updateGauges(): Promise<void> {
    try {
      const subs = await this.store.list();
      this.metrics.pendingDeliveries.set(subs.reduce((n, s) => n + s.delivery.pending, 0));
      this.metrics.failingSubscriptions.set(subs.filter((s) => s.delivery.failedAttempts > 0).length);
    } catch (error) {
      this.warnings.warn('gauges', 'could not count pending deliveries', { error: (error as Error).message });
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

/**
 * A send error as `lastError`: a short code, never a message that could carry the URL (a robot URL
 * holds its access token) or anything the receiver said.
 */
function describe(error: unknown): string {
  if (error instanceof SendError) return error.code === 'TIMEOUT' ? 'timed out' : error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'send failed';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendError('TIMEOUT')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
