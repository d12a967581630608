import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { FacilityCalendar } from '@app/calendar';
import { connectionsForLog } from '@app/config';
import { shiftSummaryKey } from '@app/contracts';
import { ShardLeases, shardOf, WatchStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { ThrottledLog, TimerLoop } from '@app/retry';

import { ShardPublisher } from './shard-publisher';
import { buildShiftSummary } from './shift-summary.builder';
import type { WatchConfig } from './watch.config';
import { KAFKA, REDIS, WATCH_CONFIG } from './watch.tokens';

const FACILITY_REFRESH_MS = 2_000;

/**
 * The watch: every tick, for each shard of facilities this instance holds, runs the facilities' timers
 * (orphans, deadlines, shift closes) in Redis, builds the summaries that are due, and publishes the
 * outboxes to Kafka. Shards move between instances through leases in Redis.
 */
@Injectable()
export class WatchService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly leases: ShardLeases;
  private readonly publishers = new Map<number, ShardPublisher>();
  private facilitiesByShard = new Map<number, string[]>();
  private facilitiesReadAt = 0;
  private readonly rounds: TimerLoop;
  private readonly openCounts: TimerLoop;
  private lastRoundAt = 0;

  constructor(
    @Inject(WATCH_CONFIG) private readonly config: WatchConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(REDIS) redis: RedisClient,
    private readonly store: WatchStore,
    private readonly calendar: FacilityCalendar,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('watch');
    this.leases = new ShardLeases(redis, config.instanceId, config.shards, config.leaseMs);
    const throttled = new ThrottledLog(this.log);
    this.rounds = new TimerLoop({
      run: async () => {
        const more = await this.round();
        this.lastRoundAt = Date.now();
        return more ? 0 : config.tickMs;
      },
      // a failing round retries from one tick up to 5 s, and well within a lease while Redis answers
      backoff: { baseMs: config.tickMs, maxMs: Math.max(config.tickMs, Math.min(5_000, config.leaseMs / 2)) },
      log: throttled,
      cause: 'round',
      message: 'watch round failed; retrying',
    });
    this.openCounts = new TimerLoop({
      run: async () => {
        await this.countOpenHandOffs();
        return config.openHandOffsEveryMs;
      },
      backoff: { baseMs: Math.min(1_000, config.openHandOffsEveryMs), maxMs: config.openHandOffsEveryMs },
      log: throttled,
      cause: 'open-handoffs',
      message: 'could not count open hand-offs; retrying',
    });
  }

  onApplicationBootstrap(): void {
    this.log.info('watching', {
      instance: this.config.instanceId,
      shards: this.config.shards,
      tickMs: this.config.tickMs,
      ...connectionsForLog(this.config),
    });
    this.rounds.start(0);
    this.openCounts.start(this.config.openHandOffsEveryMs);
  }

  /**
   * For the readiness check: a round completed lately. A round that takes longer than a lease, or keeps
   * failing for that long, loses the shards anyway.
   */
  roundsAreRecent(nowMs: number): boolean {
    return nowMs - this.lastRoundAt <= Math.max(this.config.leaseMs, 3 * this.config.tickMs);
  }

  /** One round over the shards this instance holds; true when work was left for an immediate next round. */
  private async round(): Promise<boolean> {
    const now = Date.now();
    const { gained, lost } = await this.leases.refresh(now);
    for (const shard of lost) {
      await this.publishers.get(shard)?.stop();
      this.publishers.delete(shard);
      this.log.info('lost shard', { shard });
    }
    // a shard gained in a round that failed before its publisher started is held without one: start it too
    const unstarted = [...this.leases.owned].filter((shard) => !this.publishers.has(shard));
    await this.refreshFacilities(now, gained.length > 0 || unstarted.length > 0);
    for (const shard of unstarted) {
      const publisher = new ShardPublisher(
        this.kafka,
        shard,
        'hbm-watch',
        { alert: this.config.alertsTopic, summary: this.config.summariesTopic },
        this.store,
        this.metrics,
        this.log,
      );
      // what an earlier owner may have committed but not trimmed lies within its lease, plus margin
      try {
        await publisher.start(
          this.facilitiesByShard.get(shard) ?? [],
          now - 2 * this.config.leaseMs - 60_000,
        );
      } catch (error) {
        await publisher.stop(); // the next round starts a fresh one
        throw error;
      }
      this.publishers.set(shard, publisher);
    }
    const results = await Promise.all([...this.publishers.values()].map((p) => this.roundOfShard(p, now)));
    return results.some(Boolean);
  }

  private async roundOfShard(publisher: ShardPublisher, now: number): Promise<boolean> {
    const facilities = this.facilitiesByShard.get(publisher.shard) ?? [];
    let more = false;
    for (const facility of facilities) {
      const tick = await this.store.tick(facility, now);
      more ||= tick.more;
      for (const shiftId of tick.summariesDue) await this.enqueueSummary(facility, shiftId, now);
    }
    await publisher.publish(facilities);
    return more;
  }

  private async enqueueSummary(facilityId: string, shiftId: string, now: number): Promise<void> {
    const shift = this.calendar.shiftById(facilityId, shiftId);
    const { changes, closedAt } = await this.store.summaryState(facilityId, shiftId);
    if (!shift || closedAt === null) {
      this.log.warn('no calendar shift for a closed ledger shift', { facilityId, shiftId });
      return;
    }
    const ledger = await this.store.shiftLedger(facilityId, shiftId);
    const summary = buildShiftSummary(ledger, shift, closedAt);
    await this.store.enqueueSummary(summary, now, changes, shiftSummaryKey(facilityId, shiftId));
  }

  private async refreshFacilities(now: number, force: boolean): Promise<void> {
    if (!force && now - this.facilitiesReadAt < FACILITY_REFRESH_MS) return;
    const byShard = new Map<number, string[]>();
    for (const facility of await this.store.facilities()) {
      const shard = shardOf(facility, this.config.shards);
      byShard.set(shard, [...(byShard.get(shard) ?? []), facility]);
    }
    this.facilitiesByShard = byShard;
    this.facilitiesReadAt = now;
  }

  /** handover_open_handoffs, off the rounds' path: it must not delay an alert. Throws to its loop. */
  private async countOpenHandOffs(): Promise<void> {
    const held = [...this.publishers.keys()].flatMap((shard) => this.facilitiesByShard.get(shard) ?? []);
    this.metrics.openHandOffs.set(await this.store.countOpenHandOffs(held));
  }

  /** SIGTERM: finish the round in hand, publish what is due, give the shards back. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.rounds.stop(), this.openCounts.stop()]);
    for (const publisher of this.publishers.values()) {
      await publisher.publish(this.facilitiesByShard.get(publisher.shard) ?? []).catch(() => undefined);
      await publisher.stop();
    }
    await this.leases.releaseAll();
    this.log.info('stopped', { instance: this.config.instanceId });
  }
}
