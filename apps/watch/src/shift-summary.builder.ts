import type { Shift } from '@app/calendar';
import { zeroCounters, type ShiftSummary } from '@app/contracts';
import type { ShiftLedger } from '@app/ledger';

/** The most item ids a summary lists per kind: keeps it well under Kafka's 1 MB message; counts stay exact. */
export const MAX_SUMMARY_ITEMS = 10_000;

/** A shift-close summary (SPEC section 5) of a closed shift's ledger, but its `revision`, which the store sets. */
export function buildShiftSummary(
  ledger: ShiftLedger,
  shift: Shift,
  closedAtMs: number,
): Omit<ShiftSummary, 'revision'> {
  const ids = (refs: { itemId: string }[]) =>
    [...new Set(refs.map((r) => r.itemId))].sort().slice(0, MAX_SUMMARY_ITEMS);
  return {
    facilityId: ledger.facilityId,
    shiftId: ledger.shiftId,
    start: new Date(shift.startMs).toISOString(),
    end: new Date(shift.endMs).toISOString(),
    closedAt: new Date(closedAtMs).toISOString(),
    balanced: ledger.totals.open === 0 && ledger.totals.orphans === 0,
    totals: ledger.totals,
    byClass: {
      EXPRESS: ledger.byClass.EXPRESS ?? zeroCounters(),
      PARCEL: ledger.byClass.PARCEL ?? zeroCounters(),
      LETTER: ledger.byClass.LETTER ?? zeroCounters(),
    },
    bySegment: ledger.bySegment,
    openItems: ids(ledger.openItems),
    orphanItems: ids(ledger.orphanItems),
    violations: ledger.violations,
  };
}
