import { z } from 'zod';

import type { FeedbackOutcome } from './scan-event';
import { FacilityId, SegmentId } from './segment';

const Count = z.number().int().nonnegative();
const Instant = z.string().datetime({ offset: true });

/** A facility's shift: `<local date the shift started>/<shift code>`, e.g. `2026-11-27/N`. */
export const ShiftId = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}\/[A-Z0-9]{1,8}$/, 'must be a shift id like 2026-11-27/AM');
export type ShiftId = z.infer<typeof ShiftId>;

/** The ledger's counters for one (facility, shift), optionally narrowed to a mail class or downstream segment. */
export const LedgerCounters = z.object({
  handedOut: Count,
  received: Count,
  delivered: Count,
  locker: Count,
  pickupPoint: Count,
  returned: Count,
  open: Count,
  orphans: Count,
  duplicates: Count,
  /**
   * closures after their hand-off's deadline (rule 5; SPEC section 11), counted in the hand-off's shift
   * beside its closure counter. Absent from summaries written before the ledger counted it: a report
   * then leaves the on-time rate unknown, never 0.
   */
  closedLate: Count.optional(),
});
/** Counters as read from a message: `closedLate` may be absent (an older summary). */
export type LedgerCounters = z.infer<typeof LedgerCounters>;
/** Counters as the ledger keeps and writes them: every one present. */
export type Counters = Required<LedgerCounters>;

/** The counters' names, in the contract's order: the one list every other place takes them from. */
export const COUNTERS = LedgerCounters.keyof().options;
export type Counter = keyof LedgerCounters;

/** Every counter at 0. */
export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;
}

/** The counters a closure adds to (rule 3): a RECEIPT's, and a FEEDBACK's by its outcome. */
export type ClosureCounter = 'received' | 'delivered' | 'locker' | 'pickupPoint' | 'returned';
export const RECEIPT_COUNTER = 'received' satisfies ClosureCounter;
export const FEEDBACK_COUNTER: Readonly<Record<FeedbackOutcome, ClosureCounter>> = {
  DELIVERED: 'delivered',
  LOCKER: 'locker',
  PICKUP_POINT: 'pickupPoint',
  RETURNED: 'returned',
};

/** Counters of the hand-offs to one downstream segment. */
export const SegmentCounters = LedgerCounters.extend({ to: SegmentId });
export type SegmentCounters = z.infer<typeof SegmentCounters>;

/** The balance closure of one shift, on the compacted topic `handover.shift-summaries` (SPEC section 5). */
export const ShiftSummary = z.object({
  facilityId: FacilityId,
  shiftId: ShiftId,
  start: Instant,
  end: Instant,
  closedAt: Instant,
  revision: z.number().int().min(1),
  balanced: z.boolean(),
  totals: LedgerCounters,
  byClass: z.object({ EXPRESS: LedgerCounters, PARCEL: LedgerCounters, LETTER: LedgerCounters }),
  bySegment: z.array(SegmentCounters),
  openItems: z.array(z.string()),
  orphanItems: z.array(z.string()),
  violations: z.object({ unconsentedDelivery: Count }),
});
export type ShiftSummary = z.infer<typeof ShiftSummary>;

/** The Kafka key (and compaction key) of a shift summary: `<facilityId>|<shiftId>`. */
export function shiftSummaryKey(facilityId: FacilityId, shiftId: ShiftId): string {
  return `${facilityId}|${shiftId}`;
}
