import fc from 'fast-check';

import { DeadLetterReason } from './dead-letter';
import { ParsedScan, parseScanMessage } from './parse-scan';
import { ScanEvent, acceptValidScanEvent } from './scan-event';
import { isValidS10, s10CheckDigit } from './s10';

const NOW = Date.parse('2026-11-27T08:00:00+08:00');
const LIMITS = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };
const MINUTE = 60_000;
const DAY = 86_400_000;

const handover = {
  eventId: '9f1c2a7e-4b1d-4c8e-9a3f-1d2e3f4a5b6c',
  type: 'HANDOVER',
  itemId: 'EA123456785CN',
  facilityId: 'ZJ-HZ-DS07',
  from: 'ZJ-HZ-DS07',
  to: 'ZJ-HZ-DS07/R03',
  mailClass: 'EXPRESS',
  occurredAt: '2026-11-27T07:40:12+08:00',
};
const receipt = {
  eventId: 'c3d4e5f6-0001',
  type: 'RECEIPT',
  itemId: 'CP100000003CN',
  facilityId: 'ZJ-HZ-DS08',
  from: 'ZJ-HZ-PC01',
  to: 'ZJ-HZ-DS08',
  occurredAt: '2026-11-26T23:10:00.250Z',
  operatorId: 'OP-1187',
};
const feedback = {
  eventId: 'a02b7c1d-9e8f',
  type: 'FEEDBACK',
  itemId: 'EA123456785CN',
  facilityId: 'ZJ-HZ-DS07',
  route: 'ZJ-HZ-DS07/R03',
  outcome: 'LOCKER',
  consent: false,
  occurredAt: '2026-11-27T07:55:00+08:00',
};

function bytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

function parse(value: unknown, nowMs = NOW): ParsedScan {
  return parseScanMessage(bytes(value), LIMITS, nowMs);
}

function rejection(result: ParsedScan): { reason: DeadLetterReason; detail: string } {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return { reason: result.reason, detail: result.detail };
}

describe('parseScanMessage', () => {
  describe('accepts valid scans', () => {
    it('parses a HANDOVER with its event time in ms', () => {
      expect(parse(handover)).toEqual({
        ok: true,
        event: handover,
        occurredAtMs: Date.parse('2026-11-26T23:40:12Z'),
      });
    });

    it('parses a RECEIPT with an operator and fractional seconds in UTC', () => {
      const result = parse(receipt);
      expect(result).toEqual({
        ok: true,
        event: receipt,
        occurredAtMs: Date.parse('2026-11-26T23:10:00.250Z'),
      });
    });

    it('parses a FEEDBACK with consent', () => {
      expect(parse(feedback)).toMatchObject({ ok: true, event: feedback });
    });

    it('strips unknown fields instead of rejecting them', () => {
      const result = parse({ ...handover, weightGrams: 420, sorter: { lane: 7 } });
      expect(result).toEqual({ ok: true, event: handover, occurredAtMs: expect.any(Number) });
    });

    it('accepts a leading UTF-8 byte-order mark', () => {
      const value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(handover)]);
      expect(parseScanMessage(value, LIMITS, NOW).ok).toBe(true);
    });

    it('accepts an offset written without a colon through the full schema', () => {
      const result = parse({ ...handover, occurredAt: '2026-11-27T07:40:12+0800' });
      expect(result).toMatchObject({ ok: true, occurredAtMs: Date.parse('2026-11-26T23:40:12Z') });
    });

    it('accepts an event exactly at the clock-skew limit', () => {
      const occurredAt = new Date(NOW + LIMITS.maxClockSkewMs).toISOString();
      expect(parse({ ...handover, occurredAt }).ok).toBe(true);
    });
  });

  describe('dead-letters bad input with a reason', () => {
    it('OVERSIZE: a message over maxEventBytes, judged on bytes before decoding', () => {
      const big = { ...handover, note: 'x'.repeat(70_000) };
      expect(rejection(parse(big))).toEqual({
        reason: 'OVERSIZE',
        detail: expect.stringContaining('65536'),
      });
      const bigAndBroken = Buffer.alloc(70_000, 0xff);
      expect(rejection(parseScanMessage(bigAndBroken, LIMITS, NOW)).reason).toBe('OVERSIZE');
    });

    it('INVALID_JSON: a tombstone (null value)', () => {
      expect(rejection(parseScanMessage(null, LIMITS, NOW)).reason).toBe('INVALID_JSON');
    });

    it('INVALID_JSON: bytes that are not UTF-8', () => {
      const latin1 = Buffer.from('{"eventId":"caf\xe9"}', 'latin1');
      expect(rejection(parseScanMessage(latin1, LIMITS, NOW))).toEqual({
        reason: 'INVALID_JSON',
        detail: 'message is not valid UTF-8',
      });
    });

    it.each([
      ['a truncated object', JSON.stringify(handover).slice(0, 40)],
      ['an array', JSON.stringify([handover])],
      ['a number', '42'],
      ['the literal null', 'null'],
      ['a string', '"HANDOVER"'],
      ['an empty message', ''],
      ['deeply nested brackets', '['.repeat(60_000)],
    ])('INVALID_JSON: %s', (_what, text) => {
      expect(rejection(parse(text)).reason).toBe('INVALID_JSON');
    });

    it('INVALID_JSON: says what is wrong without quoting the message', () => {
      for (const text of ['{"eventId":x}', '{"eventId":"abc"', '{"eventId":"abc",}']) {
        const { reason, detail } = rejection(parse(text));
        expect(reason).toBe('INVALID_JSON');
        expect(detail).toMatch(/^not JSON: /);
        expect(detail).not.toContain('eventId');
      }
    });

    it.each([
      ['eventId', { ...handover, eventId: undefined }, 'eventId: Required'],
      ['eventId', { ...handover, eventId: 'e'.repeat(129) }, 'eventId'],
      ['type', { ...handover, type: 'TRANSFER' }, 'type: Invalid discriminator'],
      ['occurredAt', { ...handover, occurredAt: '2026-11-27T07:40:12' }, 'occurredAt: Invalid datetime'],
      ['occurredAt', { ...handover, occurredAt: '2026-02-30T07:40:12Z' }, 'occurredAt'],
      ['occurredAt', { ...handover, occurredAt: '2026-11-27T07:40:12+99:99' }, 'occurredAt: is not a usable'],
      ['mailClass', { ...handover, mailClass: 'EMS' }, 'mailClass: Invalid enum value'],
      ['from and to', { ...handover, to: 'ZJ-HZ-DS07' }, 'to: must differ from "from"'],
      ['to', { ...handover, to: 'zj-hz-ds07/r03' }, 'to: must be a facility id'],
      ['facilityId', { ...handover, facilityId: 'Hangzhou West' }, 'facilityId: must be a facility id'],
      ['route', { ...feedback, route: 'ZJ-HZ-DS07' }, 'route: must be a route id'],
      ['outcome', { ...feedback, outcome: 'LOST' }, 'outcome'],
      ['consent', { ...feedback, consent: 'yes' }, 'consent: Expected boolean, received string'],
      ['itemId', { ...handover, itemId: 12345 }, 'itemId: Expected string, received number'],
    ])('SCHEMA: a bad %s, named with its path', (_field, event, expected) => {
      const { reason, detail } = rejection(parse(event));
      expect(reason).toBe('SCHEMA');
      expect(detail).toContain(expected);
    });

    it('SCHEMA: summarises many issues in one short line', () => {
      const { reason, detail } = rejection(parse({ type: 'HANDOVER' }));
      expect(reason).toBe('SCHEMA');
      expect(detail).toMatch(/^eventId: Required; itemId: Required; facilityId: Required \(\+\d+ more\)$/);
    });

    it('SCHEMA comes before BAD_ITEM_ID', () => {
      expect(rejection(parse({ ...handover, itemId: 'EA123456784CN', from: 'bad' })).reason).toBe('SCHEMA');
    });

    it('BAD_ITEM_ID: a wrong check digit', () => {
      expect(rejection(parse({ ...handover, itemId: 'EA123456784CN' }))).toEqual({
        reason: 'BAD_ITEM_ID',
        detail: 'itemId "EA123456784CN" is not a UPU S10 id with a valid check digit',
      });
    });

    it('BAD_ITEM_ID: not an S10 id at all, quoted only as a short excerpt', () => {
      const { reason, detail } = rejection(parse({ ...handover, itemId: `SF${'1'.repeat(5000)}` }));
      expect(reason).toBe('BAD_ITEM_ID');
      expect(detail.length).toBeLessThan(120);
    });

    it('BAD_ITEM_ID comes before FUTURE_TIMESTAMP', () => {
      const event = { ...handover, itemId: 'EA123456784CN', occurredAt: '2027-01-01T00:00:00Z' };
      expect(rejection(parse(event)).reason).toBe('BAD_ITEM_ID');
    });

    it('FUTURE_TIMESTAMP: occurredAt more than the allowed skew after now', () => {
      const occurredAt = new Date(NOW + LIMITS.maxClockSkewMs + 1000).toISOString();
      const { reason, detail } = rejection(parse({ ...handover, occurredAt }));
      expect(reason).toBe('FUTURE_TIMESTAMP');
      expect(detail).toContain('301 s ahead');
    });

    it('TOO_LATE: occurredAt more than dedupDays before now', () => {
      const occurredAt = new Date(NOW - 7 * DAY - MINUTE).toISOString();
      expect(rejection(parse({ ...handover, occurredAt })).reason).toBe('TOO_LATE');
      const justInTime = new Date(NOW - 7 * DAY + MINUTE).toISOString();
      expect(parse({ ...handover, occurredAt: justInTime }).ok).toBe(true);
    });

    it('SCHEMA: a field nested thousands of levels deep', () => {
      const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
      const text = JSON.stringify(handover).replace('"ZJ-HZ-DS07/R03"', deep);
      expect(rejection(parse(text))).toEqual({
        reason: 'SCHEMA',
        detail: 'to: Expected string, received object',
      });
    });

    it.each([
      ['eventId', { ...handover, eventId: '\ud800' }],
      ['eventId', { ...handover, eventId: 'abc\udfffdef' }],
      ['eventId', { ...handover, eventId: 'pair-then-lone-\ud83d\ude00\ud83d' }],
      ['itemId', { ...handover, itemId: 'EA12345678\udc005CN' }],
      ['operatorId', { ...receipt, operatorId: '\udbff' }],
    ])('SCHEMA: a lone UTF-16 surrogate in %s (valid JSON, not text)', (field, event) => {
      const text = JSON.stringify(event);
      expect(text).toMatch(/\\ud[89a-f]/);
      const { reason, detail } = rejection(parse(text));
      expect(reason).toBe('SCHEMA');
      expect(detail).toContain(`${field}: holds a lone UTF-16 surrogate`);
    });

    it('accepts astral characters and escaped control characters in free-text fields', () => {
      const eventId = '\ud83d\udce6-\u0000-\u001f-"\\/-\u2028-' + '\u{10ffff}';
      const parsed = parse({ ...receipt, eventId, operatorId: '\u{1f600}\t' });
      expect(parsed.ok && parsed.event.eventId).toBe(eventId);
    });

    it('never quotes a huge field in full', () => {
      const { detail } = rejection(parse({ ...handover, type: 'T'.repeat(10_000) }));
      expect(detail.length).toBeLessThan(400);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based: whatever bytes arrive, the parser answers and never throws.

const REASONS = new Set<string>(DeadLetterReason.options);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function expectWellFormed(result: ParsedScan, payload: Buffer | null): void {
  if (result.ok) {
    expect(ScanEvent.safeParse(result.event).success).toBe(true);
    expect(isValidS10(result.event.itemId)).toBe(true);
    expect(Number.isFinite(result.occurredAtMs)).toBe(true);
    expect(result.occurredAtMs).toBeLessThanOrEqual(NOW + LIMITS.maxClockSkewMs);
    expect(result.occurredAtMs).toBeGreaterThanOrEqual(NOW - LIMITS.dedupDays * DAY);
    return;
  }
  expect(REASONS.has(result.reason)).toBe(true);
  expect(typeof result.detail).toBe('string');
  expect(result.detail.length).toBeGreaterThan(0);
  expect(result.detail.length).toBeLessThanOrEqual(400);
  expect(CONTROL.test(result.detail)).toBe(false);
  if (payload !== null && payload.length > 64) {
    expect(result.detail).not.toContain(payload.toString('utf8'));
  }
  if (payload !== null && payload.length > LIMITS.maxEventBytes) expect(result.reason).toBe('OVERSIZE');
}

function check(payload: Buffer | null): ParsedScan {
  let result: ParsedScan | undefined;
  expect(() => {
    result = parseScanMessage(payload, LIMITS, NOW);
  }).not.toThrow();
  expectWellFormed(result!, payload);
  return result!;
}

const upper = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
const itemIdArb = fc
  .tuple(upper, upper, fc.integer({ min: 0, max: 99_999_999 }), upper, upper)
  .map(([a, b, n, c, d]) => {
    const serial = String(n).padStart(8, '0');
    return `${a}${b}${serial}${s10CheckDigit(serial)}${c}${d}`;
  });
const facilityIdArb = fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{1,31}$/);
const routeIdArb = fc
  .tuple(facilityIdArb, fc.stringMatching(/^[A-Z0-9-]{1,16}$/))
  .map(([station, code]) => `${station}/${code}`);
const segmentIdArb = fc.oneof(facilityIdArb, routeIdArb);

/** An RFC 3339 instant inside the accepted window, written in a random offset with optional fraction. */
const occurredAtArb = fc
  .tuple(
    fc.integer({ min: NOW - 6 * DAY, max: NOW + 4 * MINUTE }),
    fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 15),
    fc.constantFrom('', '.5', '.123', '.123456789'),
    fc.boolean(),
  )
  .map(([ms, offsetMinutes, fraction, zulu]) => {
    const offset = zulu ? 0 : offsetMinutes;
    const local = new Date(Math.floor(ms / 1000) * 1000 + offset * MINUTE).toISOString().slice(0, 19);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    const suffix = zulu
      ? 'Z'
      : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return `${local}${fraction}${suffix}`;
  });

const commonArb = {
  eventId: fc.string({ minLength: 1, maxLength: 128 }),
  itemId: itemIdArb,
  facilityId: facilityIdArb,
  occurredAt: occurredAtArb,
  operatorId: fc.string({ maxLength: 40 }),
};
const optional = { requiredKeys: ['eventId', 'type', 'itemId', 'facilityId', 'occurredAt'] as never[] };

const validEventArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc
    .record(
      {
        ...commonArb,
        type: fc.constant('HANDOVER'),
        from: segmentIdArb,
        to: segmentIdArb,
        mailClass: fc.constantFrom('EXPRESS', 'PARCEL', 'LETTER'),
      },
      { requiredKeys: [...optional.requiredKeys, 'from', 'to'] as never[] },
    )
    .filter((event) => event.from !== event.to),
  fc
    .record(
      { ...commonArb, type: fc.constant('RECEIPT'), from: segmentIdArb, to: segmentIdArb },
      { requiredKeys: [...optional.requiredKeys, 'from', 'to'] as never[] },
    )
    .filter((event) => event.from !== event.to),
  fc.record(
    {
      ...commonArb,
      type: fc.constant('FEEDBACK'),
      route: routeIdArb,
      outcome: fc.constantFrom('DELIVERED', 'LOCKER', 'PICKUP_POINT', 'RETURNED'),
      consent: fc.boolean(),
    },
    { requiredKeys: [...optional.requiredKeys, 'route', 'outcome'] as never[] },
  ),
);

const FIELDS = [
  'eventId',
  'type',
  'itemId',
  'facilityId',
  'occurredAt',
  'operatorId',
  'from',
  'to',
  'mailClass',
  'route',
  'outcome',
  'consent',
  '__proto__',
  'constructor',
];

/** A change to a field of a valid event: deleted, retyped, replaced by a random or a huge string. */
const fieldMutationArb = fc.tuple(
  fc.constantFrom(...FIELDS),
  fc.oneof(
    fc.constant<unknown>(undefined),
    fc.jsonValue(),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.integer({ min: 10, max: 100_000 }).map((n) => 'x'.repeat(n)),
    fc.constantFrom<unknown>(
      '',
      'HANDOVER',
      'FEEDBACK',
      'EA123456785CN',
      'ZJ-HZ-DS07',
      '2026-11-27T07:40:12+08:00',
    ),
  ),
);

function mutateFields(
  event: Record<string, unknown>,
  mutations: Array<[string, unknown]>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event };
  for (const [field, value] of mutations) {
    if (value === undefined) delete copy[field];
    else Object.defineProperty(copy, field, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A change to the bytes of a valid event: truncated, bytes flipped, garbage inserted. */
const byteMutationArb = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);
type ByteMutation = typeof byteMutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(payload: Buffer, mutations: ByteMutation[]): Buffer {
  let out = Buffer.from(payload);
  for (const mutation of mutations) {
    const at = out.length === 0 ? 0 : mutation.at % out.length;
    if (mutation.kind === 'truncate') out = out.subarray(0, at);
    else if (mutation.kind === 'flip' && out.length > 0) out[at] ^= mutation.mask;
    else if (mutation.kind === 'insert')
      out = Buffer.concat([out.subarray(0, at), mutation.bytes, out.subarray(at)]);
  }
  return out;
}

describe('parseScanMessage under hostile input (property-based)', () => {
  it('answers every random byte string without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (raw) => {
        check(Buffer.from(raw));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers every random JSON value without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        check(bytes(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every generated valid event, unchanged', () => {
    fc.assert(
      fc.property(validEventArb, (event) => {
        const result = check(bytes(event));
        expect(result).toEqual({ ok: true, event, occurredAtMs: Date.parse(event.occurredAt as string) });
      }),
      { numRuns: 2000 },
    );
  });

  it('answers valid events with deleted, retyped and huge fields without throwing', () => {
    fc.assert(
      fc.property(
        validEventArb,
        fc.array(fieldMutationArb, { minLength: 1, maxLength: 4 }),
        (event, mutations) => {
          check(bytes(mutateFields(event, mutations)));
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('answers valid events with truncated, flipped and inserted bytes without throwing', () => {
    fc.assert(
      fc.property(
        validEventArb,
        fc.array(byteMutationArb, { minLength: 1, maxLength: 4 }),
        (event, mutations) => {
          check(mutateBytes(bytes(event), mutations));
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('has a fast path that only ever accepts what the zod schema accepts, with the same result', () => {
    let fastAccepted = 0;
    fc.assert(
      fc.property(validEventArb, fc.array(fieldMutationArb, { maxLength: 2 }), (event, mutations) => {
        const json = JSON.parse(JSON.stringify(mutateFields(event, mutations))) as Record<string, unknown>;
        const fast = acceptValidScanEvent(json);
        const full = ScanEvent.safeParse(json);
        if (fast !== undefined) {
          fastAccepted++;
          expect(full.success && full.data).toStrictEqual(fast);
        }
      }),
      { numRuns: 5000 },
    );
    expect(fastAccepted).toBeGreaterThan(1000);
  });

  it('has a fast path whose date-time check never accepts what zod rejects', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const dateTimeArb = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.constantFrom('', '.', '.0', '.123456789012', ',5'),
        fc.constantFrom('Z', 'z', '+08:00', '-00:00', '+0800', '+08', '+24:00', '+23:59', '-12:60', ''),
        fc.constantFrom('T', 't', ' '),
      )
      .map(
        ([y, mo, d, h, mi, se, fraction, offset, t]) =>
          `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}${t}${two(h)}:${two(mi)}:${two(se)}${fraction}${offset}`,
      );
    fc.assert(
      fc.property(dateTimeArb, (occurredAt) => {
        const json = { ...handover, occurredAt };
        if (acceptValidScanEvent(json) !== undefined) expect(ScanEvent.safeParse(json).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(acceptValidScanEvent({ ...handover, occurredAt: '2024-02-29T23:59:59.999+05:45' })).toBeDefined();
    expect(acceptValidScanEvent({ ...handover, occurredAt: '2100-02-29T00:00:00Z' })).toBeUndefined();
  });
});
