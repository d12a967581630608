import { COUNTERS, zeroCounters, type LedgerCounters, type MailClass } from '@app/contracts';

import type { ShiftTruth } from './ground-truth';

/** What the system reports for a shift: a shift summary (SPEC section 5) or a ledger read back from Redis. */
export interface ReportedShift {
  totals: LedgerCounters;
  byClass: Partial<Record<string, LedgerCounters>>;
  bySegment: ReadonlyArray<LedgerCounters & { to: string }>;
  openItems: ReadonlyArray<string | { itemId: string }>;
  orphanItems: ReadonlyArray<string | { itemId: string }>;
  violations: { unconsentedDelivery: number };
}

const CLASSES: readonly MailClass[] = ['EXPRESS', 'PARCEL', 'LETTER'];

/**
 * The differences between the truth of a shift and what the system reports for it, one line each
 * (empty: they agree). Classes and segments missing on one side count as zeros, so a segment whose
 * counters all went back to 0 is no difference; item lists are compared as sorted lists.
 */
export function diffShift(truth: ShiftTruth, reported: ReportedShift): string[] {
  const where = `${truth.facilityId}|${truth.shiftId}`;
  const out: string[] = [];
  const counters = (label: string, want: LedgerCounters, got: LedgerCounters) => {
    for (const name of COUNTERS) {
      if (want[name] !== got[name])
        out.push(`${where} ${label}.${name}: expected ${want[name]}, got ${got[name]}`);
    }
  };
  counters('totals', truth.totals, reported.totals);
  for (const mailClass of CLASSES) {
    counters(`byClass.${mailClass}`, truth.byClass[mailClass], reported.byClass[mailClass] ?? zeroCounters());
  }
  const wanted = new Map(truth.bySegment.map((s) => [s.to, s]));
  const got = new Map(reported.bySegment.map((s) => [s.to, s]));
  for (const to of [...new Set([...wanted.keys(), ...got.keys()])].sort()) {
    counters(`bySegment[${to}]`, wanted.get(to) ?? zeroCounters(), got.get(to) ?? zeroCounters());
  }
  const items = (label: string, want: readonly string[], list: ReportedShift['openItems']) => {
    const have = list.map((i) => (typeof i === 'string' ? i : i.itemId)).sort();
    const missing = difference(want, have);
    const extra = difference(have, want);
    if (missing.length > 0) out.push(`${where} ${label}: missing ${preview(missing)}`);
    if (extra.length > 0) out.push(`${where} ${label}: unexpected ${preview(extra)}`);
  };
  items('openItems', truth.openItems, reported.openItems);
  items('orphanItems', truth.orphanItems, reported.orphanItems);
  if (truth.violations.unconsentedDelivery !== reported.violations.unconsentedDelivery) {
    out.push(
      `${where} violations.unconsentedDelivery: expected ${truth.violations.unconsentedDelivery}, got ${reported.violations.unconsentedDelivery}`,
    );
  }
  return out;
}

/** Multiset difference of two sorted lists. */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] < x) j++;
    if (j < b.length && b[j] === x) j++;
    else out.push(x);
  }
  return out;
}

function preview(items: readonly string[]): string {
  const shown = items.slice(0, 5).join(', ');
  return items.length > 5 ? `${shown} (+${items.length - 5} more)` : shown;
}
