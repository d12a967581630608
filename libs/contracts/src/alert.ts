import { z } from 'zod';

import { FacilityId, SegmentId } from './segment';
import { ShiftId } from './shift-summary';

export const AlertKind = z.enum([
  'RECEIPT_OVERDUE',
  'FEEDBACK_OVERDUE',
  'ORPHAN_CLOSURE',
  'UNCONSENTED_DELIVERY',
  'SHIFT_UNBALANCED',
  'CONSUMER_LAG',
]);
export type AlertKind = z.infer<typeof AlertKind>;

export const AlertStatus = z.enum(['FIRING', 'RESOLVED']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const AlertSeverity = z.enum(['critical', 'warning']);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** At most this many item ids travel in an alert; `itemCount` stays exact. */
export const MAX_ALERT_ITEMS = 1000;

const Instant = z.string().datetime({ offset: true });

/**
 * One revision of an alert on `handover.alerts` (SPEC section 4). Every change is a new message with
 * the same `alertId` and a higher `revision`. A CONSUMER_LAG alert is about a consumer group, not a
 * facility's hand-offs, so it is the one kind whose facilityId, shiftId, from and to may be null. An
 * ORPHAN_CLOSURE of delivery feedback has no `from`: the feedback names the route, not who handed to it.
 */
export const Alert = z
  .object({
    alertId: z.string().min(1).max(256),
    kind: AlertKind,
    status: AlertStatus,
    severity: AlertSeverity,
    facilityId: FacilityId.nullable(),
    shiftId: ShiftId.nullable(),
    from: SegmentId.nullable(),
    to: SegmentId.nullable(),
    itemCount: z.number().int().nonnegative(),
    items: z.array(z.string()).max(MAX_ALERT_ITEMS),
    startsAt: Instant,
    updatedAt: Instant,
    endsAt: Instant.nullable(),
    revision: z.number().int().min(1),
    acknowledgedBy: z.string().min(1).nullable(),
    text: z.string(),
  })
  .superRefine((alert, ctx) => {
    if (alert.items.length > alert.itemCount) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['itemCount'],
        message: 'must be at least items.length',
      });
    }
    if ((alert.status === 'RESOLVED') !== (alert.endsAt !== null)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['endsAt'],
        message: 'must be set exactly when the alert is RESOLVED',
      });
    }
    if (alert.kind !== 'CONSUMER_LAG') {
      for (const field of ['facilityId', 'shiftId', 'from'] as const) {
        if (alert[field] === null && !(field === 'from' && alert.kind === 'ORPHAN_CLOSURE')) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [field],
            message: `is required for ${alert.kind}`,
          });
        }
      }
    }
  });
export type Alert = z.infer<typeof Alert>;
