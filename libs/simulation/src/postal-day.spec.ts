import { FacilityCalendar } from '@app/calendar';
import { isValidS10, ownerFacilityOf, parseScanMessage, type ScanEvent } from '@app/contracts';

import { generatePostalDay, streamPostalDay, type PostalDay } from './postal-day';
import { NO_FAULTS, type FaultRates } from './simulation-options';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIMITS = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };

/** High rates, so that a small day shows every fault many times. */
const MANY_FAULTS: FaultRates = {
  lostReceipt: 0.05,
  missingFeedback: 0.06,
  orphanClosure: 0.04,
  unconsentedExpress: 0.2,
  doubleScan: 0.05,
  doubleClosure: 0.03,
  lateClosure: 0.05,
  resent: 0.04,
  invalidJson: 0.01,
  schemaError: 0.01,
  badItemId: 0.01,
  oversize: 0.002,
};

function parseAll(day: PostalDay) {
  const now = day.endMs + HOUR;
  return day.messages.map((message) => ({
    message,
    parsed: parseScanMessage(Buffer.from(message.value), LIMITS, now),
  }));
}

function ownerOf(event: ScanEvent): string {
  return ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Within five standard deviations of a binomial count, plus a little slack for small counts. */
function expectAboutRate(count: number, opportunities: number, rate: number, tolerance = 1): void {
  const mean = opportunities * rate;
  const sd = Math.sqrt(opportunities * rate * (1 - rate));
  expect(opportunities).toBeGreaterThan(0);
  expect(count).toBeGreaterThanOrEqual(Math.floor(mean * tolerance - 5 * sd - 2));
  expect(count).toBeLessThanOrEqual(Math.ceil(mean + 5 * sd + 2));
}

describe('a simulated postal day', () => {
  const day = generatePostalDay({ seed: 7, items: 4_000, prefix: 'T7', faults: MANY_FAULTS });
  const parsed = parseAll(day);

  it('is the same day for the same seed and options, and another day for another seed', () => {
    const again = generatePostalDay({ seed: 7, items: 4_000, prefix: 'T7', faults: MANY_FAULTS });
    expect(again.messages).toEqual(day.messages);
    expect(again.truth).toEqual(day.truth);
    const other = generatePostalDay({ seed: 8, items: 4_000, prefix: 'T7', faults: MANY_FAULTS });
    expect(other.messages.map((m) => m.value)).not.toEqual(day.messages.map((m) => m.value));
    expect(other.truth.shifts).not.toEqual(day.truth.shifts);
  });

  it('shares no facility id and no event id with a run under another prefix', () => {
    const other = generatePostalDay({ seed: 7, items: 500, prefix: 'T8' });
    const ids = (d: PostalDay) =>
      new Set(
        d.messages.flatMap((m) => {
          const p = parseScanMessage(Buffer.from(m.value), LIMITS, d.endMs);
          return p.ok ? [p.event.eventId, p.event.facilityId] : [];
        }),
      );
    const mine = ids(day);
    expect([...ids(other)].filter((id) => mine.has(id))).toEqual([]);
    expect(other.network.facilityIds.every((id) => id.startsWith('T8-'))).toBe(true);
  });

  it('parses every message with parseScanMessage except the bad ones, which fail for their intended reason', () => {
    const reasons = new Set<string>();
    for (const { message, parsed: p } of parsed) {
      if (message.role === 'DEAD_LETTER') {
        expect(p).toMatchObject({ ok: false, reason: message.deadLetter });
        reasons.add(message.deadLetter as string);
      } else {
        if (!p.ok) throw new Error(`${p.reason} ${p.detail}: ${message.value}`);
        expect(message.key).toBe(ownerOf(p.event));
        expect(JSON.parse(message.value)).toEqual(p.event);
      }
    }
    expect([...reasons].sort()).toEqual(['BAD_ITEM_ID', 'INVALID_JSON', 'OVERSIZE', 'SCHEMA']);
  });

  it('uses S10 item ids with valid check digits, whose class follows the service indicator', () => {
    const items = new Set<string>();
    for (const { parsed: p } of parsed) if (p.ok) items.add(p.event.itemId);
    expect(items.size).toBeGreaterThan(3_900);
    for (const id of items) expect(isValidS10(id)).toBe(true);
    const indicators = new Set([...items].map((id) => id[0]));
    expect([...indicators].sort()).toEqual(['C', 'E', 'L', 'R', 'U', 'V']);
  });

  it('puts messages in the order they happen, every scan inside the window, a re-sent copy a little after its original', () => {
    for (let i = 1; i < day.messages.length; i++) {
      const [a, b] = [day.messages[i - 1], day.messages[i]];
      expect(a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)).toBe(true);
    }
    const firstSent = new Map<string, number>();
    for (const { message, parsed: p } of parsed) {
      if (!p.ok) continue;
      expect(p.occurredAtMs).toBeGreaterThanOrEqual(day.startMs);
      expect(p.occurredAtMs).toBeLessThan(day.endMs);
      if (message.role === 'RESENT') {
        expect(message.atMs - p.occurredAtMs).toBeGreaterThanOrEqual(1000);
        expect(message.atMs - p.occurredAtMs).toBeLessThanOrEqual(10 * MINUTE);
        expect(firstSent.get(message.value)).toBe(p.occurredAtMs);
      } else {
        expect(message.atMs).toBe(p.occurredAtMs);
        expect(firstSent.has(message.value)).toBe(false);
        firstSent.set(message.value, message.atMs);
      }
    }
  });

  it('generates a day from any start instant and seed, even when the first item is only seen after the next one enters', () => {
    // few items over a long span: an item whose HANDOVER is never scanned shows first at its closure,
    // minutes after the next item's entry (npm start hit this at some times of day)
    let days = 0;
    for (let k = 0; k < 120; k++) {
      const startMs = Date.parse('2026-12-04T20:19:00Z') + k * 37_000;
      const small = generatePostalDay({
        seed: 1_000 + k,
        items: 40,
        prefix: 'S',
        startMs,
        faults: MANY_FAULTS,
      });
      for (let i = 1; i < small.messages.length; i++)
        expect(small.messages[i - 1].atMs).toBeLessThanOrEqual(small.messages[i].atMs);
      days++;
    }
    expect(days).toBe(120);
  });

  it('follows items centre -> station -> route, back to the station when returned, and out again', () => {
    const kinds = new Set<string>();
    for (const { message, parsed: p } of parsed) {
      if (!p.ok || message.role !== 'HANDOVER') continue;
      const e = p.event as Extract<ScanEvent, { type: 'HANDOVER' }>;
      kinds.add(
        `${e.from.includes('/') ? 'route' : e.from.includes('-PC') ? 'centre' : 'station'}->${e.to.includes('/') ? 'route' : 'station'}`,
      );
    }
    expect([...kinds].sort()).toEqual(['centre->station', 'route->station', 'station->route']);
    const tally = day.truth.tally;
    expect(tally.handOffs.routeToStation).toBeGreaterThan(0);
    // more trips to routes than items reached a station's routes: some went out twice
    const itemsOnRoutes = new Set(
      parsed.flatMap(({ message, parsed: p }) =>
        p.ok && message.role === 'HANDOVER' && p.event.type === 'HANDOVER' && p.event.to.includes('/')
          ? [p.event.itemId]
          : [],
      ),
    );
    const tripsOnRoutes = parsed.filter(
      ({ message, parsed: p }) =>
        p.ok && message.role === 'HANDOVER' && p.event.type === 'HANDOVER' && p.event.to.includes('/'),
    ).length;
    expect(tripsOnRoutes).toBeGreaterThan(itemsOnRoutes.size);
  });

  it('writes some HANDOVERs with an explicit mailClass, a few of them differing from the S10 class', () => {
    let explicit = 0;
    let differing = 0;
    for (const { parsed: p } of parsed) {
      if (!p.ok || p.event.type !== 'HANDOVER' || p.event.mailClass === undefined) continue;
      explicit++;
      const s10 =
        p.event.itemId[0] === 'E' ? 'EXPRESS' : 'CV'.includes(p.event.itemId[0]) ? 'PARCEL' : 'LETTER';
      if (p.event.mailClass !== s10) differing++;
    }
    expect(explicit).toBeGreaterThan(1_000);
    expect(differing).toBeGreaterThan(20);
  });

  it('shows every fault at about its rate, and each one in the ground truth', () => {
    const { tally } = day.truth;
    const f = tally.faults;
    const facilityHandOffs = tally.handOffs.centreToStation + tally.handOffs.routeToStation;
    const allHandOffs = facilityHandOffs + tally.handOffs.stationToRoute;
    expectAboutRate(f.lostReceipt, facilityHandOffs, MANY_FAULTS.lostReceipt);
    expectAboutRate(f.missingFeedback, tally.handOffs.stationToRoute, MANY_FAULTS.missingFeedback);
    // an orphan only starts a hand-off history, and one due after the window does not count: a little under the rate
    expectAboutRate(f.orphanClosure, allHandOffs, MANY_FAULTS.orphanClosure, 0.8);
    expectAboutRate(f.unconsentedExpress, tally.expressFeedbacks, MANY_FAULTS.unconsentedExpress);
    expectAboutRate(f.doubleScan, tally.handovers, MANY_FAULTS.doubleScan);
    expectAboutRate(f.doubleClosure, tally.closures, MANY_FAULTS.doubleClosure);
    expectAboutRate(f.resent, tally.validMessages, MANY_FAULTS.resent);
    expectAboutRate(day.truth.deadLetters.INVALID_JSON, tally.items, MANY_FAULTS.invalidJson);
    expectAboutRate(day.truth.deadLetters.SCHEMA, tally.items, MANY_FAULTS.schemaError);
    expectAboutRate(day.truth.deadLetters.BAD_ITEM_ID, tally.items, MANY_FAULTS.badItemId);
    expectAboutRate(day.truth.deadLetters.OVERSIZE, tally.items, MANY_FAULTS.oversize);

    const shifts = [...day.truth.shifts.values()];
    const total = (name: keyof (typeof shifts)[number]['totals']) => sum(shifts.map((s) => s.totals[name]));
    expect(total('open')).toBe(f.lostReceipt + f.missingFeedback + f.notYet);
    expect(total('orphans')).toBe(f.orphanClosure);
    expect(total('duplicates')).toBe(f.doubleScan + f.doubleClosure + f.resent);
    expect(sum(shifts.map((s) => s.violations.unconsentedDelivery))).toBe(f.unconsentedExpress);
    expect(sum(shifts.map((s) => s.openItems.length))).toBe(total('open'));
    expect(sum(shifts.map((s) => s.orphanItems.length))).toBe(total('orphans'));

    const { alerts } = day.truth;
    expect(alerts.openHandOffs.filter((o) => o.cause === 'LOST_RECEIPT')).toHaveLength(f.lostReceipt);
    expect(alerts.openHandOffs.filter((o) => o.cause === 'MISSING_FEEDBACK')).toHaveLength(f.missingFeedback);
    expect(alerts.openHandOffs).toHaveLength(total('open'));
    expect(alerts.orphans).toHaveLength(f.orphanClosure);
    expect(alerts.violations).toHaveLength(f.unconsentedExpress);

    const roles = (role: string) => day.messages.filter((m) => m.role === role).length;
    expect(roles('DOUBLE_SCAN')).toBe(f.doubleScan);
    expect(roles('DOUBLE_CLOSURE')).toBe(f.doubleClosure);
    expect(roles('RESENT')).toBe(f.resent);
    expect(roles('ORPHAN')).toBe(f.orphanClosure);
    expect(roles('DEAD_LETTER')).toBe(sum(Object.values(day.truth.deadLetters)));
    expect(day.messages).toHaveLength(tally.messages);
  });

  it('has no faults at all when every rate is 0: every shift balances', () => {
    const clean = generatePostalDay({ seed: 3, items: 1_000, faults: NO_FAULTS, arrivalSpanMs: 12 * HOUR });
    const shifts = [...clean.truth.shifts.values()];
    expect(shifts.every((s) => s.balanced && s.totals.duplicates === 0)).toBe(true);
    expect(clean.messages.every((m) => m.role === 'HANDOVER' || m.role === 'CLOSURE')).toBe(true);
  });

  it('lists open hand-offs with their deadline kind and due time, orphans and violations', () => {
    const { openHandOffs, orphans, violations } = day.truth.alerts;
    for (const open of openHandOffs) {
      expect(open.deadline).toBe(open.to.includes('/') ? 'FEEDBACK' : 'RECEIPT');
      const minutes = { RECEIPT: { EXPRESS: 60, PARCEL: 240 }, FEEDBACK: { EXPRESS: 240 } }[
        open.deadline
      ] as Record<string, number | undefined>;
      const due = minutes[open.mailClass];
      expect(open.dueAtMs).toBe(due === undefined ? null : open.handedOverAtMs + due * MINUTE);
      expect(day.truth.shifts.get(`${open.facilityId}|${open.shiftId}`)?.openItems).toContain(open.itemId);
    }
    expect(orphans.some((o) => o.type === 'RECEIPT')).toBe(true);
    expect(orphans.some((o) => o.type === 'FEEDBACK' && o.from === null)).toBe(true);
    for (const v of violations) {
      expect(v.consent === false || v.consent === null).toBe(true);
      expect(v.facilityId).toBe(ownerFacilityOf(v.route));
    }
  });

  it('streams the same day in the same order, with the truth once it is read', () => {
    const stream = streamPostalDay({ seed: 7, items: 4_000, prefix: 'T7', faults: MANY_FAULTS });
    expect(() => stream.truth()).toThrow(/every message/);
    const messages = [...stream];
    expect(stream.done).toBe(true);
    expect(messages).toEqual(day.messages);
    expect(stream.truth()).toEqual(day.truth);
    expect(() => [...stream]).toThrow(/only once/);
  });

  it('gives a calendar the system can load, with centre and station shifts in the chosen time zone', () => {
    const calendar = FacilityCalendar.fromConfig(JSON.parse(JSON.stringify(day.calendar)));
    expect(calendar.facilityIds().sort()).toEqual([...day.network.facilityIds].sort());
    const station = day.network.stations[0].id;
    const centre = day.network.centres[0].id;
    expect(calendar.shiftAt(station, Date.parse('2026-11-27T12:59:59+08:00')).shiftId).toBe('2026-11-27/AM');
    expect(calendar.shiftAt(station, Date.parse('2026-11-27T21:00:00+08:00')).shiftId).toBe('2026-11-27/PM');
    expect(calendar.shiftAt(centre, Date.parse('2026-11-27T21:00:00+08:00')).shiftId).toBe('2026-11-27/L');
    const berlin = generatePostalDay({ seed: 1, items: 10, timezone: 'Europe/Berlin' });
    expect(berlin.calendar.defaults.timezone).toBe('Europe/Berlin');
    expect(berlin.startMs).toBe(Date.parse('2026-11-27T00:00:00+01:00'));
    expect(berlin.messages.find((m) => m.role === 'HANDOVER')?.value).toMatch(
      /"occurredAt":"2026-11-27T\d\d:\d\d:\d\d\+01:00"/,
    );
  });

  it('counts centre scans after midnight in the night shift that started the evening before', () => {
    // a window from 20:00 to 08:00 local: the centres' N shift 2026-11-27/N runs 22:00-06:00
    const night = generatePostalDay({
      seed: 11,
      items: 3_000,
      startMs: Date.parse('2026-11-27T20:00:00+08:00'),
      durationMs: 12 * HOUR,
      arrivalSpanMs: 11 * HOUR,
      faults: { ...NO_FAULTS, doubleScan: 0.05 },
    });
    const nightStart = Date.parse('2026-11-27T22:00:00+08:00');
    const midnight = Date.parse('2026-11-28T00:00:00+08:00');
    const nightEnd = Date.parse('2026-11-28T06:00:00+08:00');
    const handovers = new Map<string, { all: number; afterMidnight: number; duplicates: number }>();
    for (const m of night.messages) {
      const event = JSON.parse(m.value) as ScanEvent;
      if (event.type !== 'HANDOVER' || !event.from.includes('-PC')) continue;
      const t = Date.parse(event.occurredAt);
      if (t < nightStart || t >= nightEnd) continue;
      const counts = handovers.get(event.from) ?? { all: 0, afterMidnight: 0, duplicates: 0 };
      if (m.role === 'HANDOVER') counts.all++;
      if (m.role === 'HANDOVER' && t >= midnight) counts.afterMidnight++;
      if (m.role === 'DOUBLE_SCAN') counts.duplicates++;
      handovers.set(event.from, counts);
    }
    expect(handovers.size).toBe(night.network.centres.length);
    for (const [centre, counts] of handovers) {
      expect(counts.afterMidnight).toBeGreaterThan(100);
      const shift = night.truth.shifts.get(`${centre}|2026-11-27/N`);
      expect(shift?.totals.handedOut).toBe(counts.all);
      expect(shift?.totals.duplicates).toBe(counts.duplicates);
      expect(night.truth.shifts.has(`${centre}|2026-11-28/N`)).toBe(false);
    }
    // stations open at 07:00: their night scans (late returns) belong to the PM shift before
    for (const key of night.truth.shifts.keys()) {
      if (key.includes('-DS')) expect(key).toMatch(/\|2026-11-2[78]\/(AM|PM)$/);
    }
  });

  it('sends couriers out only in station hours, unless round the clock', () => {
    const night = {
      seed: 5,
      items: 500,
      startMs: Date.parse('2026-11-27T01:00:00+08:00'),
      durationMs: 3 * HOUR,
    };
    const toRoutes = (d: PostalDay) =>
      d.messages.filter((m) => m.role === 'HANDOVER' && m.value.includes('/R')).length;
    expect(toRoutes(generatePostalDay(night))).toBe(0);
    expect(toRoutes(generatePostalDay({ ...night, roundTheClock: true }))).toBeGreaterThan(100);
  });

  it('rejects options that cannot give a valid day, naming each problem', () => {
    expect(() => generatePostalDay({ seed: 1, items: -1 })).toThrow(/items/);
    expect(() => generatePostalDay({ seed: 1, items: 1, prefix: 'bad prefix' })).toThrow(/prefix/);
    expect(() => generatePostalDay({ seed: 1, items: 1, timezone: 'Mars/Olympus' })).toThrow(/timezone/);
    expect(() => generatePostalDay({ seed: 1, items: 1, faults: { resent: 2 } })).toThrow(/faults.resent/);
    expect(() => generatePostalDay({ seed: 1.5, items: 1, durationMs: 0 })).toThrow(/seed.*durationMs/);
  });

  it('generates a million events in a few seconds (printed, not asserted)', () => {
    const started = process.hrtime.bigint();
    let events = 0;
    let bytes = 0;
    const stream = streamPostalDay({ seed: 42, items: 240_000 });
    for (const message of stream) {
      events++;
      bytes += message.value.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const wholeStarted = process.hrtime.bigint();
    const whole = generatePostalDay({ seed: 42, items: 240_000 });
    const wholeSeconds = Number(process.hrtime.bigint() - wholeStarted) / 1e9;
    console.log(
      `simulation: streamed ${events.toLocaleString('en')} events (${(bytes / 1e6).toFixed(0)} MB) in ${seconds.toFixed(2)} s, ` +
        `${Math.round(events / seconds).toLocaleString('en')} events/s; the whole day as an array in ${wholeSeconds.toFixed(2)} s`,
    );
    expect(events).toBeGreaterThan(1_000_000);
    expect(whole.messages).toHaveLength(events);
  });
});
