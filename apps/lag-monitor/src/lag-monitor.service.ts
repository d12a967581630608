import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';

import { connectionsForLog } from '@app/config';
import {
  advanceWindow,
  LagStatus,
  LagStore,
  nextLagAlert,
  type GroupLag,
  type GroupWindow,
  type LagAlertState,
  type LagReport,
} from '@app/lag';
import { JsonLogger, Metrics } from '@app/observability';
import { ThrottledLog, TimerLoop } from '@app/retry';

import { GroupSampler } from './group-sampler';
import { LagAlertPublisher } from './lag-alert.publisher';
import type { LagMonitorConfig } from './lag-monitor.config';
import { KAFKA, LAG_MONITOR_CONFIG } from './lag-monitor.tokens';

/**
 * The lag monitor: every LAG_INTERVAL_SECONDS the active instance (the one holding the lease in Redis;
 * others stand by) samples the groups, advances each group's window, stores the windows and the report
 * in Redis, sets the metrics and raises or resolves CONSUMER_LAG alerts. An instance that becomes active
 * reads the stored windows first, so a restart, or a standby taking over, goes on with the same window.
 */
@Injectable()
export class LagMonitorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly admin: Admin;
  private readonly sampler: GroupSampler;
  private readonly publisher: LagAlertPublisher;
  private windows = new Map<string, GroupWindow>();
  private active = false;
  private readonly rounds: TimerLoop;
  private lastRoundAt = 0;

  constructor(
    @Inject(LAG_MONITOR_CONFIG) private readonly config: LagMonitorConfig,
    @Inject(KAFKA) kafka: Kafka,
    private readonly store: LagStore,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('lag-monitor');
    this.admin = kafka.admin();
    this.sampler = new GroupSampler(this.admin);
    this.publisher = new LagAlertPublisher(kafka, config.alertsTopic);
    this.rounds = new TimerLoop({
      run: async () => {
        const startedAt = Date.now();
        await this.round();
        this.lastRoundAt = Date.now();
        return Math.max(0, startedAt + config.intervalMs - Date.now());
      },
      // a failed sample is retried sooner than the next one was due, and never later
      backoff: { baseMs: Math.min(1_000, config.intervalMs), maxMs: config.intervalMs },
      log: new ThrottledLog(this.log),
      cause: 'sample',
      message: 'lag sample failed; retrying',
      onFailure: () => this.metrics.lagSamples.inc({ result: 'failed' }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.admin.connect();
    await this.publisher.start();
    this.log.info('monitoring consumer lag', {
      instance: this.config.instanceId,
      groups: this.config.groups,
      intervalMs: this.config.intervalMs,
      windowSamples: this.config.window.windowSamples,
      ...connectionsForLog(this.config),
    });
    this.rounds.start(0);
  }

  /** For the readiness check: a round (a sample, or a standby's lease check) completed lately. */
  roundsAreRecent(nowMs: number): boolean {
    return nowMs - this.lastRoundAt <= 3 * this.config.intervalMs + 5_000;
  }

  get isActive(): boolean {
    return this.active;
  }

  private async round(): Promise<void> {
    if (!(await this.store.claimLease(this.config.instanceId, this.config.leaseMs))) {
      if (this.active) {
        this.active = false;
        this.windows.clear();
        this.clearMetrics();
        this.log.warn('lost the lease to another lag monitor; standing by');
      }
      return;
    }
    if (!this.active) await this.becomeActive();
    const samples = await this.sampler.sample(this.config.groups);
    const groups: GroupLag[] = [];
    for (const sample of samples) {
      const previous = this.windows.get(sample.group) ?? null;
      const { window, lag, ages } = advanceWindow(previous, sample, this.config.window);
      this.windows.set(sample.group, window);
      await this.store.saveWindow(window);
      groups.push(lag);
      if (previous?.status !== window.status) {
        this.log.info('consumer group lag status', {
          group: lag.group,
          status: lag.status,
          was: previous?.status ?? null,
          lag: lag.lag,
          lagSeconds: lag.lagSeconds,
          members: lag.members,
          estimatedFrom: [...new Set([...ages.values()].map((a) => a.method))],
        });
      }
    }
    const atMs = samples[0]?.atMs ?? Date.now();
    const report: LagReport = {
      sampledAt: new Date(atMs).toISOString(),
      intervalSeconds: this.config.intervalMs / 1000,
      groups,
    };
    await this.store.writeReport(report);
    this.setMetrics(report);
    this.metrics.lagSamples.inc({ result: 'ok' });
    for (const lag of groups) await this.alert(lag, atMs);
  }

  /** Takes over from the stored state: windows, the last report's metrics, alert revisions not yet sent. */
  private async becomeActive(): Promise<void> {
    this.windows = await this.store.windows(this.config.groups);
    const report = await this.store.readReport();
    if (report) this.setMetrics(report);
    for (const group of this.config.groups) {
      const state = await this.store.alertState(group);
      if (state && !state.sent) await this.send(group, state);
    }
    this.active = true;
    this.log.info('active lag monitor', {
      instance: this.config.instanceId,
      storedWindows: [...this.windows.keys()],
      lastSampledAt: report?.sampledAt ?? null,
    });
  }

  private async alert(lag: GroupLag, atMs: number): Promise<void> {
    const state = await this.store.alertState(lag.group);
    if (state && !state.sent) await this.send(lag.group, state);
    const window = this.windows.get(lag.group);
    const next = nextLagAlert(state, lag, window?.notOkSinceMs ?? null, atMs, this.config.alertMs);
    if (next) await this.send(lag.group, next);
  }

  /** Records the revision before it is sent, so a crash in between sends the same revision again. */
  private async send(group: string, state: LagAlertState): Promise<void> {
    await this.store.saveAlertState(group, { ...state, sent: false });
    await this.publisher.publish(state.alert);
    await this.store.saveAlertState(group, { ...state, sent: true });
    this.metrics.alerts.inc({ kind: state.alert.kind, status: state.alert.status });
    this.log.info('CONSUMER_LAG alert', {
      group,
      alertId: state.alert.alertId,
      status: state.alert.status,
      revision: state.alert.revision,
      lagStatus: state.lagStatus,
    });
  }

  private setMetrics(report: LagReport): void {
    this.clearMetrics();
    for (const group of report.groups) {
      for (const p of group.partitions) {
        const labels = { group: group.group, topic: p.topic, partition: String(p.partition) };
        this.metrics.consumerGroupLag.set(labels, p.lag);
        this.metrics.consumerGroupLagSeconds.set(labels, p.lagSeconds);
      }
      for (const status of LagStatus.options)
        this.metrics.consumerGroupStatus.set({ group: group.group, status }, status === group.status ? 1 : 0);
      this.metrics.consumerGroupMembers.set({ group: group.group }, group.members);
    }
    this.metrics.lagLastSampleSeconds.set(Date.parse(report.sampledAt) / 1000);
  }

  /** A standby exports no lag series: the active instance does, and dashboards would count both. */
  private clearMetrics(): void {
    this.metrics.consumerGroupLag.reset();
    this.metrics.consumerGroupLagSeconds.reset();
    this.metrics.consumerGroupStatus.reset();
    this.metrics.consumerGroupMembers.reset();
  }

  /** SIGTERM: finish the sample in hand, give the lease up so a standby takes over at once. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.rounds.stop();
    if (this.active) await this.store.releaseLease(this.config.instanceId).catch(() => undefined);
    await this.publisher.stop();
    await this.admin.disconnect().catch(() => undefined);
    this.log.info('stopped', { instance: this.config.instanceId });
  }
}
