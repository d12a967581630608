import { diffShift, type ReportedShift } from './compare-shift';
import { zeroCounters } from '@app/contracts';

import type { ShiftTruth } from './ground-truth';

const truth: ShiftTruth = {
  facilityId: 'SIM-DS001',
  shiftId: '2026-11-27/AM',
  startMs: 0,
  endMs: 1,
  balanced: false,
  totals: { ...zeroCounters(), handedOut: 2, delivered: 1, open: 1 },
  byClass: {
    EXPRESS: { ...zeroCounters(), handedOut: 2, delivered: 1, open: 1 },
    PARCEL: zeroCounters(),
    LETTER: zeroCounters(),
  },
  bySegment: [{ to: 'SIM-DS001/R01', ...zeroCounters(), handedOut: 2, delivered: 1, open: 1 }],
  openItems: ['EA000000015CN'],
  orphanItems: [],
  violations: { unconsentedDelivery: 0 },
};

const reported = (): ReportedShift => ({
  totals: { ...truth.totals },
  byClass: { EXPRESS: { ...truth.byClass.EXPRESS } },
  bySegment: [{ ...truth.bySegment[0] }, { to: 'SIM-DS001/R02', ...zeroCounters() }],
  openItems: [{ itemId: 'EA000000015CN' }],
  orphanItems: [],
  violations: { unconsentedDelivery: 0 },
});

describe('comparing a shift with what the system reports', () => {
  it('finds no difference where classes or segments are missing or all zero', () => {
    expect(diffShift(truth, reported())).toEqual([]);
  });

  it('names each counter, item and violation that differs', () => {
    const r = reported();
    r.totals.open = 0;
    (r.bySegment[0] as { duplicates: number }).duplicates = 1;
    r.openItems = ['EB000000014CN'];
    r.violations.unconsentedDelivery = 1;
    expect(diffShift(truth, r)).toEqual([
      'SIM-DS001|2026-11-27/AM totals.open: expected 1, got 0',
      'SIM-DS001|2026-11-27/AM bySegment[SIM-DS001/R01].duplicates: expected 0, got 1',
      'SIM-DS001|2026-11-27/AM openItems: missing EA000000015CN',
      'SIM-DS001|2026-11-27/AM openItems: unexpected EB000000014CN',
      'SIM-DS001|2026-11-27/AM violations.unconsentedDelivery: expected 0, got 1',
    ]);
  });
});
