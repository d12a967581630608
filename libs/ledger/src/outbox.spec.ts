import { Alert, zeroCounters } from '@app/contracts';

import { outboxEntryOf } from './outbox';

const DEADLINES = { receipt: { EXPRESS: 60, PARCEL: 240 }, feedback: { EXPRESS: 240 } };
const T = Date.parse('2026-11-27T08:00:00.000Z');

function record(over: Record<string, unknown> = {}) {
  return {
    items: ['EA000000001CN', 'EA000000002CN'],
    kind: 'FEEDBACK_OVERDUE',
    status: 'FIRING',
    shift: '2026-11-27/AM',
    from: 'SIM-DS001',
    to: 'SIM-DS001/R01',
    n: 2,
    nExpress: 2,
    open: 0,
    orphans: 0,
    startsAt: String(T),
    updatedAt: String(T + 1_000),
    endsAt: '',
    rev: 3,
    ackBy: '',
    ...over,
  };
}

const entry = (kind: 'A' | 'S', key: string, json: unknown) =>
  outboxEntryOf('SIM-DS001', `${kind}\n${key}\n${T}\n${JSON.stringify(json)}`, 7, DEADLINES);

function alertFrom(over: Record<string, unknown> = {}): Alert {
  const e = entry('A', 'alert-1', record(over));
  if (e.kind !== 'alert') throw new Error(`not an alert: ${JSON.stringify(e)}`);
  expect(JSON.parse(e.value)).toEqual(e.message);
  return e.message;
}

describe('the outbox: messages built from recorded state', () => {
  it('builds an alert revision in the contract shape, parsed by its schema', () => {
    const alert = alertFrom();
    expect(Alert.parse(alert)).toEqual(alert);
    expect(alert).toEqual({
      alertId: 'alert-1',
      kind: 'FEEDBACK_OVERDUE',
      status: 'FIRING',
      severity: 'critical',
      facilityId: 'SIM-DS001',
      shiftId: '2026-11-27/AM',
      from: 'SIM-DS001',
      to: 'SIM-DS001/R01',
      itemCount: 2,
      items: ['EA000000001CN', 'EA000000002CN'],
      startsAt: '2026-11-27T08:00:00.000Z',
      updatedAt: '2026-11-27T08:00:01.000Z',
      endsAt: null,
      revision: 3,
      acknowledgedBy: null,
      text: '2 express items handed to SIM-DS001/R01 have no delivery feedback after 240 min',
    });
  });

  it('writes the text and severity of every kind', () => {
    const receipt = { kind: 'RECEIPT_OVERDUE', to: 'SIM-DS002', n: 3, nExpress: 1 };
    expect(alertFrom(receipt)).toMatchObject({
      severity: 'critical',
      text: '3 items (1 express) handed to SIM-DS002 have no receipt past their deadline',
    });
    expect(alertFrom({ ...receipt, nExpress: 0, n: 1, items: ['RR000000001CN'] })).toMatchObject({
      severity: 'warning',
      text: '1 item handed to SIM-DS002 has no receipt past their deadline',
    });
    expect(alertFrom({ kind: 'RECEIPT_OVERDUE', n: 1, nExpress: 1, items: ['EA000000001CN'] }).text).toBe(
      '1 express item handed to SIM-DS001/R01 has no receipt after 60 min',
    );
    expect(alertFrom({ kind: 'ORPHAN_CLOSURE', from: '', nExpress: 0 })).toMatchObject({
      severity: 'warning',
      from: null,
      text: '2 records at SIM-DS001/R01 have no hand-off',
    });
    expect(alertFrom({ kind: 'ORPHAN_CLOSURE', to: 'SIM-DS002', n: 1, items: ['x'] }).text).toBe(
      '1 record at SIM-DS002 has no hand-off from SIM-DS001',
    );
    expect(alertFrom({ kind: 'UNCONSENTED_DELIVERY' })).toMatchObject({
      severity: 'critical',
      text: "2 express items on SIM-DS001/R01 put in a locker or pickup point without the recipient's consent",
    });
    const unbalanced = { kind: 'SHIFT_UNBALANCED', to: '', n: 3, nExpress: 0, open: 2, orphans: 1 };
    expect(alertFrom(unbalanced)).toMatchObject({
      severity: 'warning',
      to: null,
      text: 'Shift 2026-11-27/AM at SIM-DS001 closed unbalanced: 2 open hand-offs, 1 orphan',
    });
    expect(
      alertFrom({ ...unbalanced, open: 1, orphans: 0, n: 1, nExpress: 1, items: ['EA000000001CN'] }),
    ).toMatchObject({
      severity: 'critical',
      text: 'Shift 2026-11-27/AM at SIM-DS001 closed unbalanced: 1 open hand-off, 0 orphans',
    });
  });

  it('writes a resolved revision with its end and acknowledgement', () => {
    const resolved = {
      status: 'RESOLVED',
      n: 0,
      nExpress: 0,
      items: [],
      endsAt: String(T + 5_000),
      ackBy: 'sup-1',
    };
    expect(alertFrom(resolved)).toMatchObject({
      endsAt: '2026-11-27T08:00:05.000Z',
      acknowledgedBy: 'sup-1',
      itemCount: 0,
      items: [],
      text: 'Every item handed to SIM-DS001/R01 is now accounted for',
    });
    expect(alertFrom({ ...resolved, kind: 'ORPHAN_CLOSURE' }).text).toBe(
      'Every record at SIM-DS001/R01 now has its hand-off',
    );
    expect(alertFrom({ ...resolved, kind: 'UNCONSENTED_DELIVERY' }).text).toBe(
      'Unconsented deliveries on SIM-DS001/R01 resolved',
    );
    expect(alertFrom({ ...resolved, kind: 'SHIFT_UNBALANCED', to: '' }).text).toBe(
      'Shift 2026-11-27/AM at SIM-DS001 now balances',
    );
  });

  it('numbers a summary with the revision recorded beside it, and checks it against the schema', () => {
    const summary = {
      facilityId: 'SIM-DS001',
      shiftId: '2026-11-27/AM',
      start: '2026-11-27T00:00:00.000Z',
      end: '2026-11-27T08:00:00.000Z',
      closedAt: '2026-11-27T08:30:00.000Z',
      balanced: true,
      totals: zeroCounters(),
    };
    const bad = entry('S', 'SIM-DS001|2026-11-27/AM', { rev: 2, summary });
    expect(bad.kind).toBe('invalid'); // byClass and the rest are missing
    const zero = summary.totals;
    const full = {
      ...summary,
      byClass: { EXPRESS: zero, PARCEL: zero, LETTER: zero },
      bySegment: [],
      openItems: [],
      orphanItems: [],
      violations: { unconsentedDelivery: 0 },
    };
    const good = entry('S', 'SIM-DS001|2026-11-27/AM', { rev: 2, summary: full });
    expect(good).toMatchObject({
      kind: 'summary',
      seq: 7,
      conditionAt: T,
      message: { ...full, revision: 2 },
    });
  });

  it('still sends an entry an earlier version wrote as the message itself', () => {
    const alert = alertFrom();
    const legacy = entry('A', 'alert-1', alert);
    expect(legacy).toMatchObject({ kind: 'alert', message: alert });
  });

  it('sets aside, with the reason, a record no message can be built from', () => {
    const e = entry('A', 'alert-1', record({ kind: 'NO_SUCH_KIND' }));
    expect(e.kind).toBe('invalid');
    expect(e.kind === 'invalid' && e.problem).toMatch(/kind/);
    const notJson = outboxEntryOf('SIM-DS001', `A\nalert-1\n${T}\n{nope`, 1, DEADLINES);
    expect(notJson.kind).toBe('invalid');
  });
});
