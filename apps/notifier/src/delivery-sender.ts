import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import { ThrottledLog, TimerLoop } from '@app/retry';
import {
  Channel,
  channelFormats,
  deliveryResultsOf,
  DeliveryQueue,
  DestinationPolicy,
  isRobot,
  RobotBudget,
  robotKeyOf,
  SubscriptionStore,
  type ChannelFormat,
  type QueuedChannel,
  type SendFailure,
  type StoredSubscription,
} from '@app/subscriptions';

import { AlertmanagerSender } from './alertmanager-sender';
import { retryDelayMs } from './backoff';
import type { NotifierConfig } from './notifier.config';
import { NOTIFIER_CONFIG } from './notifier.tokens';
import { sendTo } from './receiver-post';

const GAUGE_EVERY_MS = 5_000;

/**
 * The notifier's output. Every poll, takes the subscriptions whose deliveries are due and, for each one
 * whose lease it wins (one instance sends to a receiver at a time), sends what is due as one request:
 * delivered leaves the queue; a failure keeps it and waits (exponential backoff with jitter); what is
 * still unsent NOTIFIER_GIVE_UP_HOURS after it was queued is abandoned, counted and shown. A chat
 * robot's sends come from its budget in Redis (RobotBudget), shared by every subscription and instance
 * that sends to that robot, at its vendor's limits; what is due meanwhile is merged into the next
 * message. A vendor's "too fast" answer pauses the robot for the vendor's block instead of retrying
 * into it. Alertmanager subscriptions re-send their alerts (AlertmanagerSender). Each send goes only
 * where DestinationPolicy allows (sendTo).
 */
@Injectable()
export class DeliverySender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly warnings: ThrottledLog;
  private readonly formats: Record<QueuedChannel, ChannelFormat>;
  private readonly destinations: DestinationPolicy;
  /** the sender loop: its own failures (Redis refusing) back off, capped, with jitter */
  private readonly polls: TimerLoop;
  private roundsFailed = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private gaugeTimer?: NodeJS.Timeout;
  private lastRoundAt = 0;

  constructor(
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly store: SubscriptionStore,
    private readonly queue: DeliveryQueue,
    private readonly budget: RobotBudget,
    private readonly alertmanager: AlertmanagerSender,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('sender');
    this.warnings = new ThrottledLog(this.log);
    this.destinations = new DestinationPolicy(config.destinations);
    this.polls = new TimerLoop({
      run: async () => {
        const busy = await this.poll();
        this.lastRoundAt = Date.now();
        if (this.roundsFailed) {
          // a round that threw left its subscription due: polling again at once would spin on it
          this.roundsFailed = false;
          throw new Error('a delivery round failed (logged above)');
        }
        return busy ? Math.min(50, config.pollMs) : config.pollMs;
      },
      backoff: { baseMs: config.pollMs, maxMs: Math.max(config.pollMs, 10_000) },
      log: this.warnings,
      cause: 'poll',
      message: 'delivery poll failed; retrying',
    });
    this.formats = channelFormats();
    for (const channel of Channel.options)
      for (const result of deliveryResultsOf(channel)) metrics.deliveries.labels({ channel, result }).inc(0);
  }

  onApplicationBootstrap(): void {
    this.log.info('sending', {
      instance: this.config.instanceId,
      robotWindows: this.config.robotWindows,
      robotMinuteMs: this.config.robotMinuteMs,
      alertmanagerResendMs: this.config.alertmanagerResendMs,
      retryBaseMs: this.config.retryBaseMs,
      retryMaxMs: this.config.retryMaxMs,
      giveUpHours: this.config.giveUpMs / 3_600_000,
      allowedNetworks: this.config.destinations.allowedNetworks.map((n) => n.text),
      allowHttp: this.config.destinations.allowHttp,
      robotProxyHosts: this.config.destinations.robotProxyHosts.map((h) =>
        h.port ? `${h.hostname}:${h.port}` : h.hostname,
      ),
    });
    this.polls.start(0);
    this.gaugeTimer = setInterval(() => void this.updateGauges(), GAUGE_EVERY_MS);
  }

  /** For the readiness check: a poll completed lately. */
  pollsAreRecent(nowMs: number): boolean {
    return nowMs - this.lastRoundAt <= Math.max(10_000, 4 * this.config.pollMs);
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

  /** One round for one subscription, under its lease. */
  private async deliver(id: string): Promise<void> {
    const leaseMs = this.config.sendTimeoutMs + 5_000;
    if (!(await this.queue.claim(id, this.config.instanceId, leaseMs))) return;
    try {
      const sub = await this.store.getWithSecret(id);
      if (!sub) return; // deleted: its queue went with it
      await this.abandonExpired(sub);
      if (sub.channel === 'alertmanager')
        await this.alertmanager.round(sub, () => this.queue.claim(id, this.config.instanceId, leaseMs));
      else await this.sendQueued(sub, sub.channel);
    } finally {
      await this.queue.release(id, this.config.instanceId).catch(() => undefined);
    }
  }

  private async abandonExpired(sub: StoredSubscription): Promise<void> {
    const abandoned = await this.queue.abandonExpired(sub.id, Date.now() - this.config.giveUpMs);
    if (abandoned.length === 0) return;
    this.metrics.deliveries.labels({ channel: sub.channel, result: 'abandoned' }).inc(abandoned.length);
    this.log.error('abandoned deliveries after the retry window', {
      subscription: sub.id,
      channel: sub.channel,
      count: abandoned.length,
      giveUpHours: this.config.giveUpMs / 3_600_000,
    });
  }

  /** What is due for a webhook or a robot, as one request. */
  private async sendQueued(sub: StoredSubscription, channel: QueuedChannel): Promise<void> {
    const { id } = sub;
    const format = this.formats[channel];
    let now = Date.now();
    const { deliveries, broken } = await this.queue.pending(id, format.maxDeliveries);
    if (broken.length > 0) {
      await this.queue.dropBroken(id, broken);
      this.metrics.deliveries.labels({ channel, result: 'abandoned' }).inc(broken.length);
      this.log.error('dropped queued deliveries that no longer parse', {
        subscription: id,
        count: broken.length,
      });
    }
    if (deliveries.length === 0) {
      await this.queue.delivered(id, [], now, now); // settles: no longer due unless something came
      return;
    }

    const robotChannel = isRobot(channel) ? channel : null;
    const robot = robotChannel ? robotKeyOf(robotChannel, sub.url) : null;
    if (robot && robotChannel) {
      const retryAtMs = await this.budget.take(robot, this.config.robotWindows[robotChannel], now);
      if (retryAtMs > 0) {
        await this.queue.postpone(id, retryAtMs); // merged into one message then
        return;
      }
    }

    const request = format.request(sub, deliveries, new Date(now));
    const outcome = await sendTo(this.destinations, channel, request, this.config.sendTimeoutMs);
    const failure: SendFailure | null =
      'error' in outcome ? { error: outcome.error, result: 'retried' } : format.failureOf(outcome.reply);
    now = Date.now();
    if (failure === null) {
      const left = await this.queue.delivered(id, request.deliveryIds, now, now);
      this.metrics.deliveries.labels({ channel, result: 'delivered' }).inc(request.deliveryIds.length);
      this.log.debug('delivered', { subscription: id, count: request.deliveryIds.length, left });
      return;
    }
    const attempts = (await this.queue.failedAttempts(id)) + 1;
    let nextMs = now + retryDelayMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs);
    const pauseMs = failure.pauseMs ?? (failure.pauseMinutes ?? 0) * this.config.robotMinuteMs;
    if (robot && pauseMs > 0) {
      // the vendor blocks the robot for a while: every subscription on it waits that long, not retrying into it
      nextMs = now + pauseMs;
      await this.budget.pause(robot, nextMs, now);
    }
    await this.queue.failed(id, now, nextMs, failure.error);
    this.metrics.deliveries.labels({ channel, result: failure.result }).inc(request.deliveryIds.length);
    this.warnings.warn(
      `send:${id}`,
      pauseMs > 0 ? 'robot paused: its vendor said too fast' : 'delivery failed; will retry',
      {
        subscription: id,
        channel,
        error: failure.error,
        attempts,
        next: new Date(nextMs).toISOString(),
      },
    );
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
    await this.polls.stop();
    clearInterval(this.gaugeTimer);
    await Promise.all(this.inFlight.values());
    this.log.info('stopped sending', { instance: this.config.instanceId });
  }
}
