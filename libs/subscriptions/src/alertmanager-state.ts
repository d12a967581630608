import { z } from 'zod';

import { Alert } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import type { Delivery } from './delivery';
import { subscriptionKeys as k } from './keys';
import { defineSubscriptionScripts } from './scripts';

/** What an Alertmanager subscription re-sends of one alert: its newest revision. */
export const ResentAlert = z.object({
  alert: Alert,
  /** RESOLVED: when to stop re-sending it (ms); FIRING: null, re-sent until resolved */
  forgetAtMs: z.number().nullable(),
  /** Alertmanager refused this revision (HTTP 400): set aside, not sent again */
  refused: z.boolean(),
});
export type ResentAlert = z.infer<typeof ResentAlert>;

/** One Alertmanager URL's retry state (url is 0, peers[i] is i + 1). */
export interface TargetState {
  failures: number;
  /** not sent to before this (ms) after a failure */
  retryAtMs: number;
  /** it missed a send: its next one is every alert, not only the changed ones */
  full: boolean;
}

export interface AlertmanagerSnapshot {
  alerts: Map<string, ResentAlert>;
  /** alert id -> revisions folded in since it was last sent */
  changed: Map<string, number>;
  /** when every alert is next re-sent (ms); 0: at once */
  resendAtMs: number;
  targets: TargetState[];
}

/** How one round ends, for settle(). */
export interface AlertmanagerRound {
  nowMs: number;
  /** when the subscription is due next, or null when there is nothing to send or re-send */
  nextMs: number | null;
  stateSet: Record<string, string>;
  stateIncrement: Record<string, number>;
  targetsSet: Record<string, string>;
  sent: string[];
  refused: ResentAlert[];
  forgotten: string[];
}

const pairs = (record: Record<string, string | number>) => {
  const flat = Object.entries(record).flatMap(([key, value]) => [key, String(value)]);
  return [String(flat.length / 2), ...flat];
};
const list = (items: string[]) => [String(items.length), ...items];

/**
 * The alerts an Alertmanager subscription re-sends, in Redis: Alertmanager's clients re-send every
 * active alert on an interval (it resolves one nobody re-sends, and forgets them all when it
 * restarts), so a subscription keeps the newest revision of each alert it has been sent, firing until
 * resolved, resolved for a while after; which alerts changed since they were last sent; and, per
 * Alertmanager URL, whether it needs everything again after a failure. Read and written under the
 * subscription's lease (one notifier instance at a time), so it survives restarts and failovers.
 */
export class AlertmanagerState {
  constructor(private readonly redis: RedisClient) {
    defineSubscriptionScripts(redis);
  }

  /**
   * Takes queued alert revisions in (they leave the queue): each alert keeps its newest revision; a
   * RESOLVED one is re-sent until `nowMs + retentionMs`. Returns the revisions taken in.
   */
  async absorb(id: string, deliveries: Delivery[], nowMs: number, retentionMs: number): Promise<number> {
    if (deliveries.length === 0) return 0;
    const byRevision = [...deliveries].sort((a, b) => revision(a) - revision(b));
    const groups = byRevision.flatMap((d) => {
      if (d.message.type !== 'alert') return [d.id, '', '0', '']; // never queued for Alertmanager: dropped
      const { alert } = d.message;
      const resent: ResentAlert = {
        alert,
        forgetAtMs: alert.status === 'RESOLVED' ? nowMs + retentionMs : null,
        refused: false,
      };
      return [d.id, alert.alertId, String(alert.revision), JSON.stringify(resent)];
    });
    return this.redis.absorbAlerts(
      k.queue(id),
      k.bodies(id),
      k.amAlerts(id),
      k.amRevisions(id),
      k.amChanged(id),
      k.subscription(id),
      ...groups,
    );
  }

  async read(id: string, targetCount: number): Promise<AlertmanagerSnapshot> {
    const [rawAlerts, rawChanged, rawTargets] = await Promise.all([
      this.redis.hgetall(k.amAlerts(id)),
      this.redis.hgetall(k.amChanged(id)),
      this.redis.hgetall(k.amTargets(id)),
    ]);
    const alerts = new Map<string, ResentAlert>();
    for (const [alertId, json] of Object.entries(rawAlerts)) {
      const parsed = ResentAlert.safeParse(JSON.parse(json));
      if (parsed.success) alerts.set(alertId, parsed.data);
    }
    const changed = new Map(Object.entries(rawChanged).map(([alertId, n]) => [alertId, Number(n)]));
    const targets = Array.from({ length: targetCount }, (_, i) => ({
      failures: Number(rawTargets[`${i}:failures`] ?? 0),
      retryAtMs: Number(rawTargets[`${i}:retryAt`] ?? 0),
      full: rawTargets[`${i}:full`] === '1',
    }));
    return { alerts, changed, resendAtMs: Number(rawTargets.resendAt ?? 0), targets };
  }

  /** Records a round; false when the subscription was deleted meanwhile (nothing is written). */
  async settle(id: string, round: AlertmanagerRound): Promise<boolean> {
    const refused = round.refused.flatMap((r) => [r.alert.alertId, JSON.stringify(r)]);
    const written = await this.redis.settleAlertmanager(
      k.subscription(id),
      k.state(id),
      k.due(),
      k.amTargets(id),
      k.amChanged(id),
      k.amAlerts(id),
      k.amRevisions(id),
      k.queue(id),
      id,
      round.nextMs === null ? '' : String(Math.ceil(round.nextMs)),
      String(round.nowMs),
      ...pairs(round.stateSet),
      ...pairs(round.stateIncrement),
      ...pairs(round.targetsSet),
      ...list(round.sent),
      String(refused.length / 2),
      ...refused,
      ...list(round.forgotten),
    );
    return written === 1;
  }

  /** Alerts changed and not yet sent (the API's `pending` of an Alertmanager subscription, beside its queue). */
  changedCount(id: string): Promise<number> {
    return this.redis.hlen(k.amChanged(id));
  }
}

function revision(d: Delivery): number {
  return d.message.type === 'alert' ? d.message.alert.revision : 0;
}
