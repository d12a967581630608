import type { ScanEvent } from '@app/contracts';

import { scanRows } from './ledger-store';
import { toLedgerScan } from './ledger-scan';

const shift = { shiftId: '2026-11-27/AM', startMs: 1_764_198_000_000, endMs: 1_764_219_600_000 };
const at = 1_764_200_412_000;
const common = { eventId: 'e1', itemId: 'EA123456785CN', occurredAt: '2026-11-27T07:40:12+08:00' } as const;
const span = {
  o: 7,
  item: 'EA123456785CN',
  t: at,
  id: 'e1',
  s: shift.shiftId,
  ss: shift.startMs,
  se: shift.endMs,
};

describe('toLedgerScan', () => {
  it('keys a HANDOVER to a facility by (item, from, to), with the class given or from the item number', () => {
    const event: ScanEvent = {
      ...common,
      type: 'HANDOVER',
      facilityId: 'ZJ-HZ-PC01',
      from: 'ZJ-HZ-PC01',
      to: 'ZJ-HZ-DS07',
    };
    expect(toLedgerScan(event, 7, at, shift)).toStrictEqual({
      ...span,
      k: 'H',
      key: 'EA123456785CN|ZJ-HZ-PC01|ZJ-HZ-DS07',
      f: 'ZJ-HZ-PC01',
      to: 'ZJ-HZ-DS07',
      c: 'EXPRESS',
    });
    expect(toLedgerScan({ ...event, mailClass: 'PARCEL' }, 7, at, shift).c).toBe('PARCEL');
  });

  it('keys a hand-off to a route by (item, route) alone, so that its FEEDBACK finds it', () => {
    const handover: ScanEvent = {
      ...common,
      type: 'HANDOVER',
      facilityId: 'ZJ-HZ-DS07',
      from: 'ZJ-HZ-DS07',
      to: 'ZJ-HZ-DS07/R03',
    };
    const feedback: ScanEvent = {
      ...common,
      type: 'FEEDBACK',
      facilityId: 'ZJ-HZ-DS07',
      route: 'ZJ-HZ-DS07/R03',
      outcome: 'PICKUP_POINT',
      consent: true,
    };
    expect(toLedgerScan(handover, 7, at, shift).key).toBe('EA123456785CN|>|ZJ-HZ-DS07/R03');
    expect(toLedgerScan(feedback, 7, at, shift)).toStrictEqual({
      ...span,
      k: 'C',
      key: 'EA123456785CN|>|ZJ-HZ-DS07/R03',
      f: '',
      to: 'ZJ-HZ-DS07/R03',
      c: 'EXPRESS',
      n: 'pickupPoint',
      v: 1,
    });
  });

  it('closes with received on a RECEIPT, and marks consent only when it is given', () => {
    const receipt: ScanEvent = {
      ...common,
      type: 'RECEIPT',
      facilityId: 'ZJ-HZ-DS07',
      from: 'ZJ-HZ-PC01',
      to: 'ZJ-HZ-DS07',
    };
    expect(toLedgerScan(receipt, 7, at, shift)).toMatchObject({ k: 'C', n: 'received', f: 'ZJ-HZ-PC01' });
    expect('v' in toLedgerScan(receipt, 7, at, shift)).toBe(false);
    const feedback: ScanEvent = {
      ...common,
      type: 'FEEDBACK',
      facilityId: 'ZJ-HZ-DS07',
      route: 'ZJ-HZ-DS07/R03',
      outcome: 'LOCKER',
    };
    expect('v' in toLedgerScan(feedback, 7, at, shift)).toBe(false);
    expect('v' in toLedgerScan({ ...feedback, consent: false }, 7, at, shift)).toBe(false);
  });
});

describe('scanRows', () => {
  it('puts each scan in the field order applyScans-1.lua reads, absent closure fields as "" and 0', () => {
    const handover = toLedgerScan(
      { ...common, type: 'HANDOVER', facilityId: 'ZJ-HZ-PC01', from: 'ZJ-HZ-PC01', to: 'ZJ-HZ-DS07' },
      7,
      at,
      shift,
    );
    const feedback = toLedgerScan(
      {
        ...common,
        type: 'FEEDBACK',
        facilityId: 'ZJ-HZ-DS07',
        route: 'ZJ-HZ-DS07/R03',
        outcome: 'LOCKER',
        consent: true,
      },
      8,
      at,
      shift,
    );
    expect(JSON.parse(scanRows([handover, feedback]))).toEqual([
      [
        7,
        'EA123456785CN|ZJ-HZ-PC01|ZJ-HZ-DS07',
        'EA123456785CN',
        'ZJ-HZ-DS07',
        'H',
        at,
        'e1',
        shift.shiftId,
        shift.startMs,
        shift.endMs,
        'EXPRESS',
        'ZJ-HZ-PC01',
        '',
        0,
      ],
      [
        8,
        'EA123456785CN|>|ZJ-HZ-DS07/R03',
        'EA123456785CN',
        'ZJ-HZ-DS07/R03',
        'C',
        at,
        'e1',
        shift.shiftId,
        shift.startMs,
        shift.endMs,
        'EXPRESS',
        '',
        'locker',
        1,
      ],
    ]);
  });
});
