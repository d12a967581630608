import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';

import { FacilityCalendar } from '@app/calendar';
import { shiftSummaryKey } from '@app/contracts';
import { readShiftLedger, ShardLeases, shardOf, WatchStore } from '@app/ledger';
import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';

import { countOpenHandOffs } from './open-hand-offs';
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
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopping = false;
  private lastRoundAt = 0;
  private openTimer?: NodeJS.Timeout;
  private counting = false;

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
  }

  onApplicationBootstrap(): void {
    this.log.info('watching', {
      instance: this.config.instanceId,
      shards: this.config.shards,
      tickMs: this.config.tickMs,
    });
    this.schedule(0);
    this.openTimer = setInterval(() => void this.countOpenHandOffs(), this.config.openHandOffsEveryMs);
  }

  /**
   * For the readiness check: a round completed lately. A round that takes longer than a lease, or keeps
   * failing for that long, loses the shards anyway.
   */
  roundsAreRecent(nowMs: number): boolean {
    return nowMs - this.lastRoundAt <= Math.max(this.config.leaseMs, 3 * this.config.tickMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.round().then(
        (more) => {
          this.lastRoundAt = Date.now();
          this.schedule(more ? 0 : this.config.tickMs);
        },
        (error: unknown) => {
          this.log.warn('watch round failed; retrying', { error: (error as Error).message });
          this.schedule(Math.min(this.config.tickMs * 4, 5_000));
        },
      );
    }, delayMs);
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
    await this.refreshFacilities(now, gained.length > 0);
    for (const shard of gained) {
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
      await publisher.start(this.facilitiesByShard.get(shard) ?? [], now - 2 * this.config.leaseMs - 60_000);
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
    const ledger = await readShiftLedger(this.store.redis, facilityId, shiftId);
    const summary = buildShiftSummary(ledger, shift, closedAt);
    await this.store.enqueueSummary(
      facilityId,
      shiftId,
      now,
      changes,
      JSON.stringify(summary),
      shiftSummaryKey(facilityId, shiftId),
    );
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

  /** handover_open_handoffs, off the rounds' path: it must not delay an alert. */
  private async countOpenHandOffs(): Promise<void> {
    if (this.counting) return;
    this.counting = true;
    try {
      const held = [...this.publishers.keys()].flatMap((shard) => this.facilitiesByShard.get(shard) ?? []);
      this.metrics.openHandOffs.set(await countOpenHandOffs(this.store.redis, held));
    } catch (error) {
      this.log.warn('could not count open hand-offs', { error: (error as Error).message });
    } finally {
      this.counting = false;
    }
  }

  /** SIGTERM: finish the round in hand, publish what is due, give the shards back. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearInterval(this.openTimer);
    await this.running.catch(() => undefined);
    for (const publisher of this.publishers.values()) {
      await publisher.publish(this.facilitiesByShard.get(publisher.shard) ?? []).catch(() => undefined);
      await publisher.stop();
    }
    await this.leases.releaseAll();
    this.log.info('stopped', { instance: this.config.instanceId });
  }
}
