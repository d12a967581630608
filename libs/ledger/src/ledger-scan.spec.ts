import fc from 'fast-check';

import { isRoute, mailClassOfItem, type ScanEvent } from '@app/contracts';

import { handOffKey } from './keys';
import { toLedgerScan, type LedgerScan } from './ledger-scan';

/** toLedgerScan as first written, with spreads: the literals per type must serialise the same, byte for byte. */
function reference(
  event: ScanEvent,
  offset: number,
  occurredAtMs: number,
  shift: { shiftId: string; startMs: number; endMs: number },
): LedgerScan {
  const closureOf = {
    DELIVERED: 'delivered',
    LOCKER: 'locker',
    PICKUP_POINT: 'pickupPoint',
    RETURNED: 'returned',
  } as const;
  const base = {
    o: offset,
    item: event.itemId,
    t: occurredAtMs,
    id: event.eventId,
    s: shift.shiftId,
    ss: shift.startMs,
    se: shift.endMs,
  };
  switch (event.type) {
    case 'HANDOVER':
      return {
        ...base,
        k: 'H',
        key: handOffKey(event.itemId, event.from, event.to, isRoute(event.to)),
        f: event.from,
        to: event.to,
        c: event.mailClass ?? mailClassOfItem(event.itemId),
      };
    case 'RECEIPT':
      return {
        ...base,
        k: 'C',
        key: handOffKey(event.itemId, event.from, event.to, isRoute(event.to)),
        f: event.from,
        to: event.to,
        c: mailClassOfItem(event.itemId),
        n: 'received',
      };
    case 'FEEDBACK':
      return {
        ...base,
        k: 'C',
        key: handOffKey(event.itemId, '', event.route, true),
        f: '',
        to: event.route,
        c: mailClassOfItem(event.itemId),
        n: closureOf[event.outcome],
        ...(event.consent === true ? { v: 1 as const } : {}),
      };
  }
}

const segment = fc.constantFrom('ZJ-HZ-PC01', 'ZJ-HZ-DS07', 'ZJ-HZ-DS07/R03', 'ZJ-HZ-DS08/R1');
const scanFields = {
  eventId: fc.string({ minLength: 1, maxLength: 8 }),
  itemId: fc.constantFrom('EA123456785CN', 'CP100000003CN', 'RR000000000CN', 'VV123456785DE'),
  facilityId: fc.constantFrom('ZJ-HZ-PC01', 'ZJ-HZ-DS07'),
  occurredAt: fc.constant('2026-11-27T07:40:12+08:00'),
};
const operatorId = fc.option(fc.constant('OP-1'), { nil: undefined });
const event: fc.Arbitrary<ScanEvent> = fc.oneof(
  fc
    .record({
      ...scanFields,
      operatorId,
      from: segment,
      to: segment,
      mailClass: fc.option(fc.constantFrom('EXPRESS', 'PARCEL', 'LETTER') as fc.Arbitrary<'EXPRESS'>, {
        nil: undefined,
      }),
    })
    .map((e) => ({ ...e, type: 'HANDOVER' as const })),
  fc
    .record({ ...scanFields, operatorId, from: segment, to: segment })
    .map((e) => ({ ...e, type: 'RECEIPT' as const })),
  fc
    .record({
      ...scanFields,
      operatorId,
      route: fc.constantFrom('ZJ-HZ-DS07/R03', 'ZJ-HZ-DS08/R1'),
      outcome: fc.constantFrom('DELIVERED', 'LOCKER', 'PICKUP_POINT', 'RETURNED') as fc.Arbitrary<'LOCKER'>,
      consent: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((e) => ({ ...e, type: 'FEEDBACK' as const })),
);

describe('toLedgerScan', () => {
  const shift = { shiftId: '2026-11-27/AM', startMs: 1_764_198_000_000, endMs: 1_764_219_600_000 };

  it('serialises exactly as the spread version did, optional fields absent when not set', () => {
    fc.assert(
      fc.property(event, fc.nat(), (e, offset) => {
        const scan = toLedgerScan(e, offset, 1_764_200_412_000, shift);
        const expected = reference(e, offset, 1_764_200_412_000, shift);
        expect(JSON.stringify(scan)).toBe(JSON.stringify(expected));
        expect(Object.keys(scan)).toEqual(Object.keys(expected));
        expect(scan).toStrictEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('marks consent only when it is given', () => {
    const feedback = {
      eventId: 'e',
      type: 'FEEDBACK',
      itemId: 'EA123456785CN',
      facilityId: 'ZJ-HZ-DS07',
      route: 'ZJ-HZ-DS07/R03',
      outcome: 'LOCKER',
      occurredAt: '2026-11-27T07:40:12+08:00',
    } as const;
    expect(toLedgerScan({ ...feedback, consent: true }, 1, 0, shift).v).toBe(1);
    expect('v' in toLedgerScan({ ...feedback, consent: false }, 1, 0, shift)).toBe(false);
    expect('v' in toLedgerScan(feedback, 1, 0, shift)).toBe(false);
    expect('n' in toLedgerScan({ ...feedback, type: 'HANDOVER', from: 'A1', to: 'B1' }, 1, 0, shift)).toBe(
      false,
    );
  });
});
