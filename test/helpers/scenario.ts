import { FEEDBACK_COUNTER, s10CheckDigit } from '@app/contracts';

/** A day of scans with known faults, and the ledger totals they must give per owner facility. */
export interface Scenario {
  /** message values in the order they are produced, with the key a producer would use */
  messages: { key: string; value: string }[];
  expected: Map<string, ExpectedTotals>;
  facilities: string[];
}

export interface ExpectedTotals {
  handedOut: number;
  received: number;
  delivered: number;
  locker: number;
  pickupPoint: number;
  returned: number;
  open: number;
  orphans: number;
  duplicates: number;
  closedLate: number;
  unconsented: number;
}

export interface ScenarioOptions {
  seed: number;
  /** how many items; each gives 1 to 4 scans before duplicates */
  items: number;
  /** facility id prefix, so that runs never share ledger keys */
  prefix: string;
  stations?: number;
  routesPerStation?: number;
  /** share of messages sent twice (same eventId): a producer's retry */
  resent?: number;
  /** share of HANDOVERs scanned twice (new eventId) */
  doubleScans?: number;
  /** share of closures sent before their HANDOVER */
  closuresFirst?: number;
  /** share of express RECEIPTs after their 60-minute deadline (closedLate); default 0.05 */
  lateReceipts?: number;
  /** when the day's first scan may happen; default six hours ago (the last is then half an hour ago) */
  startMs?: number;
}

/** A small, seeded generator (mulberry32): the same seed gives the same day. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function itemNumber(indicator: string, serial: number): string {
  const digits = String(serial).padStart(8, '0');
  return `${indicator}${digits}${s10CheckDigit(digits)}CN`;
}

const zero = (): ExpectedTotals => ({
  handedOut: 0,
  received: 0,
  delivered: 0,
  locker: 0,
  pickupPoint: 0,
  returned: 0,
  open: 0,
  orphans: 0,
  duplicates: 0,
  closedLate: 0,
  unconsented: 0,
});

/**
 * Items go processing centre -> station (HANDOVER, then a RECEIPT unless lost) and station -> route
 * (HANDOVER, then a FEEDBACK unless missing). Every scan lies within the last few hours.
 */
export function makeScenario(opts: ScenarioOptions): Scenario {
  const random = seededRandom(opts.seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const stations = Array.from(
    { length: opts.stations ?? 4 },
    (_, i) => `${opts.prefix}-DS${String(i + 1).padStart(2, '0')}`,
  );
  const centre = `${opts.prefix}-PC01`;
  const routes = (station: string) =>
    Array.from({ length: opts.routesPerStation ?? 5 }, (_, i) => `${station}/R${i + 1}`);
  const expected = new Map<string, ExpectedTotals>([centre, ...stations].map((f) => [f, zero()]));
  const at = (facility: string) => expected.get(facility) as ExpectedTotals;

  type Scan = { owner: string; time: number; value: Record<string, unknown>; closureOf?: number };
  const scans: Scan[] = [];
  const start = opts.startMs ?? Date.now() - 6 * 3_600_000;
  let eventSeq = 0;
  const id = () => `${opts.prefix}-${opts.seed}-${(eventSeq++).toString(36)}`;
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

  for (let i = 0; i < opts.items; i++) {
    const indicator = pick(['EA', 'EB', 'CP', 'RR']);
    const itemId = itemNumber(indicator, opts.seed * 1_000_000 + i);
    const mailClass = indicator.startsWith('E') ? 'EXPRESS' : indicator === 'CP' ? 'PARCEL' : 'LETTER';
    const station = pick(stations);
    const t = start + Math.floor(random() * 3 * 3_600_000);

    const handoverIndex = scans.length;
    scans.push({
      owner: centre,
      time: t,
      value: {
        eventId: id(),
        type: 'HANDOVER',
        itemId,
        facilityId: centre,
        from: centre,
        to: station,
        occurredAt: iso(t),
      },
    });
    at(centre).handedOut++;
    if (random() < (opts.doubleScans ?? 0)) {
      scans.push({
        owner: centre,
        time: t + 60_000,
        value: {
          eventId: id(),
          type: 'HANDOVER',
          itemId,
          facilityId: centre,
          from: centre,
          to: station,
          occurredAt: iso(t + 60_000),
        },
      });
      at(centre).duplicates++;
    }
    if (random() < 0.08) {
      at(centre).open++; // the receipt was lost
      continue;
    }
    // some express receipts come after their 60-minute deadline (rule 5): closedLate
    const late = mailClass === 'EXPRESS' && random() < (opts.lateReceipts ?? 0.05);
    const tr = late
      ? t + 61 * 60_000 + Math.floor(random() * 14 * 60_000)
      : t + 10 * 60_000 + Math.floor(random() * 40 * 60_000);
    scans.push({
      owner: centre,
      time: tr,
      closureOf: handoverIndex,
      value: {
        eventId: id(),
        type: 'RECEIPT',
        itemId,
        facilityId: station,
        from: centre,
        to: station,
        occurredAt: iso(tr),
      },
    });
    at(centre).received++;
    if (late) at(centre).closedLate++;

    const route = pick(routes(station));
    const th = tr + 10 * 60_000;
    const routeHandover = scans.length;
    scans.push({
      owner: station,
      time: th,
      value: {
        eventId: id(),
        type: 'HANDOVER',
        itemId,
        facilityId: station,
        from: station,
        to: route,
        occurredAt: iso(th),
      },
    });
    at(station).handedOut++;
    if (random() < 0.1) {
      at(station).open++; // no delivery feedback
      continue;
    }
    const roll = random();
    const outcome =
      roll < 0.7 ? 'DELIVERED' : roll < 0.8 ? 'LOCKER' : roll < 0.9 ? 'PICKUP_POINT' : 'RETURNED';
    const consent = random() < 0.5;
    const tf = th + 30 * 60_000 + Math.floor(random() * 60 * 60_000);
    scans.push({
      owner: station,
      time: tf,
      closureOf: routeHandover,
      value: {
        eventId: id(),
        type: 'FEEDBACK',
        itemId,
        facilityId: station,
        route,
        outcome,
        consent,
        occurredAt: iso(tf),
      },
    });
    const counter = FEEDBACK_COUNTER[outcome];
    at(station)[counter]++;
    if (mailClass === 'EXPRESS' && (outcome === 'LOCKER' || outcome === 'PICKUP_POINT') && !consent)
      at(station).unconsented++;
  }

  // Send in event-time order, but some closures before their hand-off, and some messages twice, a little later.
  const order = scans.map((_, i) => i).sort((a, b) => scans[a].time - scans[b].time);
  const sentBefore = new Map<number, number[]>();
  const moved = new Set<number>();
  for (const [scanIndex, scan] of scans.entries()) {
    if (scan.closureOf === undefined || random() >= (opts.closuresFirst ?? 0)) continue;
    moved.add(scanIndex);
    sentBefore.set(scan.closureOf, [...(sentBefore.get(scan.closureOf) ?? []), scanIndex]);
  }
  const messages: { key: string; value: string }[] = [];
  let copies: { due: number; message: { key: string; value: string } }[] = [];
  const send = (scanIndex: number) => {
    const scan = scans[scanIndex];
    const message = { key: scan.owner, value: JSON.stringify(scan.value) };
    messages.push(message);
    if (random() < (opts.resent ?? 0)) {
      copies.push({ due: messages.length + Math.floor(random() * 50), message });
      at(scan.owner).duplicates++;
    }
    const due = copies.filter((c) => c.due <= messages.length);
    copies = copies.filter((c) => c.due > messages.length);
    for (const c of due) messages.push(c.message);
  };
  for (const scanIndex of order) {
    if (moved.has(scanIndex)) continue;
    for (const closure of sentBefore.get(scanIndex) ?? []) send(closure);
    send(scanIndex);
  }
  for (const c of copies) messages.push(c.message);
  return { messages, expected, facilities: [centre, ...stations] };
}
