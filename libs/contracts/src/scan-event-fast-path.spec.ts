import { isUtf8 } from 'node:buffer';

import fc from 'fast-check';

import { instantOfDateTime, instantOfPlainRfc3339, isWellFormedText } from './scan-event';

/** The definitions the hand-written fast paths stand in for. */
const LONE_SURROGATE = /\p{Cs}/u;

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, calendar values in and just out of range. */
const dateTime = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,12}$/), { nil: undefined }),
    offset: fc.oneof(
      fc.constant('Z'),
      fc
        .record({
          sign: fc.constantFrom('+', '-'),
          hours: fc.integer({ min: 0, max: 24 }),
          minutes: fc.integer({ min: 0, max: 60 }),
        })
        .map(({ sign, hours, minutes }) => `${sign}${pad(hours, 2)}:${pad(minutes, 2)}`),
      fc.constantFrom('+0800', '+08', 'z', '', 'Z ', '+08:00:00'),
    ),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}` +
      (t.fraction === undefined ? '' : `.${t.fraction}`) +
      t.offset,
  );

const sameNumber = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

describe('instantOfDateTime', () => {
  it('is Date.parse for every spelling of a date-time, in range or not', () => {
    fc.assert(
      fc.property(dateTime, (text) => sameNumber(instantOfDateTime(text), Date.parse(text))),
      { numRuns: 50_000 },
    );
  });

  it('is Date.parse for arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) =>
        sameNumber(instantOfDateTime(text), Date.parse(text)),
      ),
    );
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '0000-02-29T23:59:59.999+23:59',
    '0099-12-31T23:59:59-23:59',
    '1900-02-28T12:00:00.5Z',
    '1969-12-31T23:59:59.99Z',
    '1970-01-01T00:00:00.000Z',
    '2000-02-29T00:00:00+00:00',
    '2026-03-29T02:30:00+01:00',
    '2026-11-27T07:40:12+08:00',
    '2026-11-27T07:40:12.123456789+08:00',
    '9999-12-31T23:59:59.999-23:59',
  ])('agrees with Date.parse on %s', (text) => {
    expect(instantOfDateTime(text)).toBe(Date.parse(text));
    expect(instantOfPlainRfc3339(text)).toBe(Date.parse(text));
  });
});

describe('isWellFormedText', () => {
  const withSurrogates = fc.string({
    unit: fc.oneof(
      fc.constantFrom('a', 'Z', '-', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '\ufffd'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 30,
  });

  it('finds a lone surrogate exactly where the unicode regex does', () => {
    fc.assert(
      fc.property(withSurrogates, (text) => isWellFormedText(text) === !LONE_SURROGATE.test(text)),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['', true],
    ['EA123456785CN', true],
    ['\ud83d\ude00', true],
    ['a\ud83d', false],
    ['\ude00a', false],
    ['\ude00\ud83d', false],
  ])('%j is well formed: %s', (text, wellFormed) => {
    expect(isWellFormedText(text)).toBe(wellFormed);
  });
});

describe('UTF-8 decoding (what parseScanMessage relies on to call isUtf8 only for a text with U+FFFD)', () => {
  it('gives a U+FFFD for bytes that are not UTF-8', () => {
    const bytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    const nearlyUtf8 = fc
      .tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.nat(), fc.integer({ min: 0x80, max: 0xff }))
      .map(([text, at, byte]) => {
        const b = Buffer.from(text, 'utf8');
        if (b.length > 0) b[at % b.length] = byte;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(bytes, nearlyUtf8), (b) => isUtf8(b) || b.toString('utf8').includes('\ufffd')),
      { numRuns: 50_000 },
    );
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0x61, 0xe2, 0x82]],
    ['a stray continuation byte', [0x80]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['0xFF', [0xff]],
  ])('%s', (_, bytes) => {
    const b = Buffer.from(bytes);
    expect(isUtf8(b)).toBe(false);
    expect(b.toString('utf8')).toContain('\ufffd');
  });
});
