import { createHash } from 'node:crypto';

import { z } from 'zod';

import { Alert } from '@app/contracts';

import { LagStatus, type GroupLag } from './lag-report';

/** The CONSUMER_LAG alert of one group as the monitor last decided it (kept in Redis). */
export const LagAlertState = z.object({
  /** the group's status that the latest revision reports */
  lagStatus: LagStatus,
  /** the latest revision, recorded before it is sent */
  alert: Alert,
  /** false until the producer has had it acknowledged: a restarted monitor sends it again */
  sent: z.boolean(),
});
export type LagAlertState = z.infer<typeof LagAlertState>;

/** A group's alert id: the same in every process and across restarts. */
export function lagAlertId(group: string): string {
  return `lag-${createHash('sha256').update(group).digest('hex').slice(0, 24)}`;
}

/**
 * The next CONSUMER_LAG revision for a group, or null when nothing changed. It fires once the group has
 * not been OK for `alertMs`, takes a new revision each time the group's status changes while it fires,
 * and resolves when the group is OK again. A revision follows the last one recorded, whether or not
 * that one was sent yet (the caller sends unsent ones first).
 */
export function nextLagAlert(
  state: LagAlertState | null,
  lag: GroupLag,
  notOkSinceMs: number | null,
  nowMs: number,
  alertMs: number,
): LagAlertState | null {
  const firing = state?.alert.status === 'FIRING';
  const due = lag.status !== 'OK' && notOkSinceMs !== null && nowMs - notOkSinceMs >= alertMs;
  if (due && firing && state.lagStatus === lag.status) return null;
  if (!due && !(firing && lag.status === 'OK')) return null;
  const now = new Date(nowMs).toISOString();
  const revision = (state?.alert.revision ?? 0) + 1;
  const startsAt =
    firing && state ? state.alert.startsAt : new Date((notOkSinceMs ?? nowMs) + alertMs).toISOString();
  const alert = Alert.parse({
    alertId: lagAlertId(lag.group),
    kind: 'CONSUMER_LAG',
    status: due ? 'FIRING' : 'RESOLVED',
    severity: 'warning',
    facilityId: null,
    shiftId: null,
    from: null,
    to: null,
    itemCount: 0,
    items: [],
    startsAt,
    updatedAt: now,
    endsAt: due ? null : now,
    revision,
    acknowledgedBy: null,
    text: lagAlertText(lag),
  });
  return { lagStatus: lag.status, alert, sent: false };
}

function lagAlertText(lag: GroupLag): string {
  const members = `${lag.members} live member${lag.members === 1 ? '' : 's'}`;
  const state = lag.status === 'OK' ? 'is OK again' : `is ${lag.status}`;
  return (
    `Consumer group ${lag.group} ${state}: lag ${lag.lag} messages, ` +
    `${Math.round(lag.lagSeconds)} s behind (${members})`
  );
}
