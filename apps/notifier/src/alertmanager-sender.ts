import { Inject, Injectable } from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import { ThrottledLog } from '@app/retry';
import {
  ALERTMANAGER_BATCH,
  alertmanagerAlertOf,
  alertmanagerRequest,
  AlertmanagerState,
  DeliveryQueue,
  DestinationPolicy,
  httpFailureOf,
  type AlertmanagerRound,
  type ResentAlert,
  type StoredSubscription,
} from '@app/subscriptions';

import { retryDelayMs } from './backoff';
import { ALERTMANAGER_HORIZON_INTERVALS, type NotifierConfig } from './notifier.config';
import { NOTIFIER_CONFIG } from './notifier.tokens';
import { sendTo } from './receiver-post';

/** Queued revisions taken in per round (more: the round after, at once). */
const ABSORB_CHUNK = 1_000;

/** How a send of some alerts to one Alertmanager went. */
type TargetResult =
  | { kind: 'idle' } // nothing to send it
  | { kind: 'waiting' } // failed before; not retried before its time
  | { kind: 'ok'; sent: number; refused: ResentAlert[] }
  | { kind: 'failed'; unsent: number; error: string; refused: ResentAlert[] };

class LeaseLost extends Error {}

/**
 * Alertmanager as its clients are meant to use it. Each subscription keeps, in Redis, the newest
 * revision of every alert it was sent (AlertmanagerState); a round takes queued revisions in and
 * sends each Alertmanager (`url` and every `peers` member, in parallel, each every alert) what changed
 * since, at once, and every alert again each NOTIFIER_ALERTMANAGER_RESEND_SECONDS: a FIRING alert with
 * `endsAt` a few intervals ahead, a RESOLVED one with its `endsAt` in the past, re-sent for as long
 * as the firing horizon (by then every Alertmanager has seen it or let the alert lapse by itself).
 * So an alert firing for days stays firing, and an Alertmanager that restarted (it keeps alerts in
 * memory) has them back within one interval. An Alertmanager that fails is retried with backoff (at
 * most an interval apart) and then sent everything; the others are not held back. A batch answered
 * 400 (one invalid alert refuses the request) is sent again one alert at a time: the alerts refused
 * alone are set aside (not re-sent until a new revision), counted (`rejected`) and named in
 * lastError; the others go through.
 */
@Injectable()
export class AlertmanagerSender {
  private readonly log: JsonLogger;
  private readonly warnings: ThrottledLog;
  private readonly destinations: DestinationPolicy;
  private readonly horizonMs: number;

  constructor(
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly state: AlertmanagerState,
    private readonly queue: DeliveryQueue,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('alertmanager');
    this.warnings = new ThrottledLog(this.log);
    this.destinations = new DestinationPolicy(config.destinations);
    this.horizonMs = ALERTMANAGER_HORIZON_INTERVALS * config.alertmanagerResendMs;
  }

  /** One round for one subscription; `keepLease` renews its lease before each request (false: lost). */
  async round(sub: StoredSubscription, keepLease: () => Promise<boolean>): Promise<void> {
    const { id } = sub;
    const urls = [sub.url, ...(sub.peers ?? [])];
    const startMs = Date.now();

    const { deliveries, broken } = await this.queue.pending(id, ABSORB_CHUNK);
    if (broken.length > 0) {
      await this.queue.dropBroken(id, broken);
      this.metrics.deliveries.labels({ channel: 'alertmanager', result: 'abandoned' }).inc(broken.length);
    }
    await this.state.absorb(id, deliveries, startMs, this.horizonMs);

    const snapshot = await this.state.read(id, urls.length);
    const forgotten: string[] = [];
    const live: ResentAlert[] = [];
    for (const [alertId, resent] of snapshot.alerts) {
      if (resent.forgetAtMs !== null && resent.forgetAtMs <= startMs) forgotten.push(alertId);
      else if (!resent.refused) live.push(resent);
    }
    const changed = live.filter((r) => snapshot.changed.has(r.alert.alertId));
    const resendDue = startMs >= snapshot.resendAtMs;

    let results: TargetResult[];
    try {
      results = await Promise.all(
        urls.map((url, i) => {
          const target = snapshot.targets[i];
          const batch = resendDue || target.full ? live : changed;
          if (batch.length === 0) return { kind: 'idle' } as const;
          if (target.failures > 0 && startMs < target.retryAtMs) return { kind: 'waiting' } as const;
          return this.sendAll(url, batch, keepLease);
        }),
      );
    } catch (error) {
      if (error instanceof LeaseLost) return; // another instance has the subscription now
      throw error;
    }
    await this.settle(sub, urls, snapshot, { live, changed, forgotten, resendDue, startMs }, results);
  }

  /** Sends `batch` to one Alertmanager in requests of ALERTMANAGER_BATCH; a 400 one alert at a time. */
  private async sendAll(
    baseUrl: string,
    batch: ResentAlert[],
    keepLease: () => Promise<boolean>,
  ): Promise<TargetResult> {
    const refused: ResentAlert[] = [];
    let sent = 0;
    for (let i = 0; i < batch.length; i += ALERTMANAGER_BATCH) {
      const chunk = batch.slice(i, i + ALERTMANAGER_BATCH);
      let answer = await this.post(baseUrl, chunk, keepLease);
      if (answer === 'refused' && chunk.length > 1) {
        for (const one of chunk) {
          answer = await this.post(baseUrl, [one], keepLease);
          if (answer === 'refused') refused.push(one);
          else if (answer !== 'ok')
            return { kind: 'failed', unsent: batch.length - sent, error: answer, refused };
          else sent++;
        }
        continue;
      }
      if (answer === 'refused') refused.push(...chunk);
      else if (answer !== 'ok')
        return { kind: 'failed', unsent: batch.length - sent, error: answer, refused };
      else sent += chunk.length;
    }
    return { kind: 'ok', sent, refused };
  }

  /** 'ok', 'refused' (HTTP 400: an alert Alertmanager will not take), or why it failed. */
  private async post(
    baseUrl: string,
    alerts: ResentAlert[],
    keepLease: () => Promise<boolean>,
  ): Promise<string> {
    if (!(await keepLease())) throw new LeaseLost();
    const now = new Date();
    const options = { publicBaseUrl: this.config.publicUrl, horizonMs: this.horizonMs };
    const request = alertmanagerRequest(
      baseUrl,
      alerts.map((r) => alertmanagerAlertOf(r.alert, now, options)),
    );
    const outcome = await sendTo(this.destinations, 'alertmanager', request, this.config.sendTimeoutMs);
    if ('error' in outcome) return outcome.error;
    if (outcome.reply.status === 400) return 'refused';
    return httpFailureOf(outcome.reply)?.error ?? 'ok';
  }

  private async settle(
    sub: StoredSubscription,
    urls: string[],
    snapshot: Awaited<ReturnType<AlertmanagerState['read']>>,
    round: {
      live: ResentAlert[];
      changed: ResentAlert[];
      forgotten: string[];
      resendDue: boolean;
      startMs: number;
    },
    results: TargetResult[],
  ): Promise<void> {
    const now = Date.now();
    const nameOf = (i: number) => (i === 0 ? 'url' : `peers[${i - 1}]`);
    const targetsSet: Record<string, string> = {};
    const failures = snapshot.targets.map((t) => t.failures);
    const retryAts = snapshot.targets.map((t) => t.retryAtMs);
    let error: string | null = null;
    let accepted = false;
    const refused = new Map<string, ResentAlert>();
    results.forEach((result, i) => {
      if (result.kind === 'idle' || result.kind === 'waiting') return;
      for (const r of result.refused) refused.set(r.alert.alertId, { ...r, refused: true });
      if (result.kind === 'ok') {
        accepted = true;
        failures[i] = 0;
        Object.assign(targetsSet, { [`${i}:failures`]: '0', [`${i}:retryAt`]: '0', [`${i}:full`]: '0' });
        return;
      }
      failures[i] += 1;
      const waitMs = Math.min(
        retryDelayMs(failures[i], this.config.retryBaseMs, this.config.retryMaxMs),
        this.config.alertmanagerResendMs, // never longer than a re-send: it must get the alerts back soon
      );
      retryAts[i] = now + waitMs;
      Object.assign(targetsSet, {
        [`${i}:failures`]: String(failures[i]),
        [`${i}:retryAt`]: String(retryAts[i]),
        [`${i}:full`]: '1',
      });
      error = `${nameOf(i)}: ${result.error}`;
      this.metrics.deliveries.labels({ channel: 'alertmanager', result: 'retried' }).inc(result.unsent);
      this.warnings.warn(`am:${sub.id}:${i}`, 'Alertmanager send failed; will retry', {
        subscription: sub.id,
        target: nameOf(i),
        error: result.error,
        attempts: failures[i],
        next: new Date(retryAts[i]).toISOString(),
      });
    });
    let resendAtMs = snapshot.resendAtMs;
    if (round.resendDue) {
      resendAtMs = round.startMs + this.config.alertmanagerResendMs;
      targetsSet.resendAt = String(resendAtMs);
    }

    // what changed reached an Alertmanager: no longer changed (one that failed gets everything next time)
    const sent = accepted ? round.changed.map((r) => r.alert.alertId) : [];
    const sentIds = new Set(sent);
    const delivered = round.changed
      .filter((r) => sentIds.has(r.alert.alertId) && !refused.has(r.alert.alertId))
      .reduce((n, r) => n + (snapshot.changed.get(r.alert.alertId) ?? 0), 0);
    for (const alertId of refused.keys()) sent.push(alertId);

    const stillLive = round.live.filter((r) => !refused.has(r.alert.alertId));
    const candidates: number[] = [];
    if (stillLive.length > 0) {
      candidates.push(resendAtMs);
      failures.forEach((f, i) => f > 0 && candidates.push(retryAts[i]));
    }
    const nextMs = candidates.length > 0 ? Math.max(now, Math.min(...candidates)) : null;

    const attempted = results.some((r) => r.kind === 'ok' || r.kind === 'failed');
    const stateSet: Record<string, string> = {};
    const iso = new Date(now).toISOString();
    if (attempted) stateSet.lastAttemptAt = iso;
    if (delivered > 0) stateSet.lastDeliveredAt = iso;
    const failing = Math.max(0, ...failures);
    stateSet.failedAttempts = String(failing);
    if (error !== null) stateSet.lastError = error;
    else if (refused.size > 0) {
      const first = [...refused.values()][0].alert;
      stateSet.lastError = `Alertmanager refused ${refused.size} alert(s) (HTTP 400), set aside: ${first.alertId} rev ${first.revision}`;
    } else if (failing === 0 && attempted) stateSet.lastError = '';
    if (nextMs !== null) stateSet.nextAttemptAt = String(nextMs);

    const stateIncrement: Record<string, number> = {};
    if (delivered > 0) stateIncrement.delivered = delivered;
    if (refused.size > 0) stateIncrement.rejected = refused.size;
    const settled: AlertmanagerRound = {
      nowMs: now,
      nextMs,
      stateSet,
      stateIncrement,
      targetsSet,
      sent,
      refused: [...refused.values()],
      forgotten: round.forgotten,
    };
    if (!(await this.state.settle(sub.id, settled))) return;
    if (delivered > 0)
      this.metrics.deliveries.labels({ channel: 'alertmanager', result: 'delivered' }).inc(delivered);
    if (refused.size > 0) {
      this.metrics.deliveries.labels({ channel: 'alertmanager', result: 'rejected' }).inc(refused.size);
      this.log.error('Alertmanager refused alerts; set aside', {
        subscription: sub.id,
        alerts: [...refused.keys()].slice(0, 10),
        count: refused.size,
      });
    }
    this.log.debug('alertmanager round', {
      subscription: sub.id,
      urls: urls.length,
      live: round.live.length,
      changed: round.changed.length,
      resend: round.resendDue,
    });
  }
}
