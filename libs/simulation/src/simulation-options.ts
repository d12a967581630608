import { isTimeZone, type FacilityCalendarFile } from '@app/calendar';
import type { Deadlines, FeedbackOutcome, MailClass } from '@app/contracts';

import type { NetworkSize } from './network';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * How often each fault happens. Every rate is a probability per opportunity, named in its comment;
 * every fault is recorded in the ground truth.
 */
export interface FaultRates {
  /** per facility-to-facility hand-off (centre -> station, route -> station): the RECEIPT is never scanned (stays open) */
  lostReceipt: number;
  /** per station-to-route hand-off: no FEEDBACK ever comes (stays open) */
  missingFeedback: number;
  /** per hand-off: its HANDOVER is never scanned, its closure is (an orphan) */
  orphanClosure: number;
  /** per EXPRESS station-to-route hand-off with feedback: put in a locker or pickup point without consent */
  unconsentedExpress: number;
  /** per HANDOVER: scanned again 1-5 min later with a new eventId, while the hand-off is open */
  doubleScan: number;
  /** per closure of a hand-off: scanned again 1-5 min later with a new eventId */
  doubleClosure: number;
  /** per hand-off with a deadline (rule 5): its closure comes 1-60 min after the deadline (closedLate) */
  lateClosure: number;
  /** per valid message: the producer sends the very same message again (same eventId) */
  resent: number;
  /** per item: one extra message that is not JSON (INVALID_JSON) */
  invalidJson: number;
  /** per item: one extra JSON object that breaks the schema (SCHEMA) */
  schemaError: number;
  /** per item: one extra scan whose item id fails the S10 check (BAD_ITEM_ID) */
  badItemId: number;
  /** per item: one extra scan larger than 65,536 bytes (OVERSIZE) */
  oversize: number;
}

/** What normal traffic looks like. */
export interface TrafficMix {
  /** share of items per mail class (by S10 service indicator) */
  classes: Record<MailClass, number>;
  /** share of feedback outcomes (before the unconsented-express fault) */
  outcomes: Record<FeedbackOutcome, number>;
  /** share of HANDOVERs carrying an explicit `mailClass` equal to the item's S10 class */
  explicitMailClass: number;
  /** share of HANDOVERs carrying an explicit `mailClass` different from the S10 class */
  reclassified: number;
  /** share of returned items the station takes out again the same day */
  takenOutAgain: number;
}

export interface SimulationOptions {
  /** the same seed and options give the same day */
  seed: number;
  /** items that enter the network (each gives about four scans) */
  items: number;
  /** starts every facility id, so that two runs never share ids; default `SIM` */
  prefix?: string;
  /** IANA time zone of every facility; default Asia/Shanghai */
  timezone?: string;
  /** local date whose midnight starts the window, `YYYY-MM-DD`; default 2026-11-27 (ignored when startMs is set) */
  date?: string;
  /** start of the window of event time, ms */
  startMs?: number;
  /** length of the window; default 24 h. No scan happens after it (those still due are left open: not yet) */
  durationMs?: number;
  /** items enter the network (their first hand-off) in the first this-much of the window; default 3/4 of it */
  arrivalSpanMs?: number;
  /**
   * Stations hand items to routes at any hour. Default false: couriers leave from 07:00 until 19:00
   * local time, and items that reach a station later wait for the morning, so a short window at
   * night has no station traffic; set it for a window relative to the wall clock in a test.
   */
  roundTheClock?: boolean;
  network?: Partial<NetworkSize>;
  faults?: Partial<FaultRates>;
  mix?: Partial<TrafficMix>;
  /**
   * used only for the `dueAtMs` of open hand-offs in the truth; default SPEC rule 5. Each kind's map
   * replaces the default whole (a class absent: no deadline).
   */
  deadlines?: Partial<Deadlines>;
  /**
   * The calendar the system under test reads (its FACILITIES_FILE), for the shifts of the truth;
   * facilities missing from it get its defaults, as in the system. Default: the network's own
   * calendar (`day.calendar`).
   */
  calendar?: FacilityCalendarFile;
}

export interface ResolvedOptions {
  seed: number;
  items: number;
  prefix: string;
  timezone: string;
  /** start given, or null when the window starts at local midnight of `date` */
  startMs: number | null;
  date: string;
  durationMs: number;
  arrivalSpanMs: number | null;
  roundTheClock: boolean;
  network: NetworkSize;
  faults: FaultRates;
  mix: TrafficMix;
  deadlines: Deadlines;
  calendar: FacilityCalendarFile | null;
}

export const DEFAULT_FAULTS: Readonly<FaultRates> = {
  lostReceipt: 0.02,
  missingFeedback: 0.03,
  orphanClosure: 0.01,
  unconsentedExpress: 0.05,
  doubleScan: 0.02,
  doubleClosure: 0.005,
  lateClosure: 0.02,
  resent: 0.01,
  invalidJson: 0.001,
  schemaError: 0.001,
  badItemId: 0.001,
  oversize: 0,
};

/** A day without faults: every rate 0. */
export const NO_FAULTS: Readonly<FaultRates> = Object.fromEntries(
  Object.keys(DEFAULT_FAULTS).map((k) => [k, 0]),
) as unknown as FaultRates;

export const DEFAULT_MIX: Readonly<TrafficMix> = {
  classes: { EXPRESS: 0.3, PARCEL: 0.4, LETTER: 0.3 },
  outcomes: { DELIVERED: 0.8, LOCKER: 0.08, PICKUP_POINT: 0.05, RETURNED: 0.07 },
  explicitMailClass: 0.3,
  reclassified: 0.02,
  takenOutAgain: 0.6,
};

export const DEFAULT_DEADLINES: Readonly<Deadlines> = {
  receipt: { EXPRESS: 60, PARCEL: 240 },
  feedback: { EXPRESS: 240 },
};

export const DEFAULT_NETWORK: Readonly<NetworkSize> = {
  centres: 2,
  stationsPerCentre: 4,
  routesPerStation: 6,
};

/** Fills in the defaults and checks every option; throws a RangeError naming each bad one. */
export function resolveOptions(options: SimulationOptions): ResolvedOptions {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  check(Number.isSafeInteger(options.seed), 'seed must be a safe integer');
  check(
    Number.isSafeInteger(options.items) && options.items >= 0 && options.items <= 50_000_000,
    'items must be a whole number from 0 to 50,000,000',
  );
  const timezone = options.timezone ?? 'Asia/Shanghai';
  check(isTimeZone(timezone), `timezone "${timezone}" is not an IANA time zone`);
  const date = options.date ?? '2026-11-27';
  check(/^\d{4}-\d{2}-\d{2}$/.test(date) && Number.isFinite(Date.parse(date)), 'date must be YYYY-MM-DD');
  if (options.startMs !== undefined)
    check(Number.isFinite(options.startMs), 'startMs must be a finite number');
  const durationMs = options.durationMs ?? 24 * HOUR_MS;
  check(
    Number.isFinite(durationMs) && durationMs >= MINUTE_MS && durationMs <= 14 * 24 * HOUR_MS,
    'durationMs must be from one minute to 14 days',
  );
  if (options.arrivalSpanMs !== undefined) {
    check(
      Number.isFinite(options.arrivalSpanMs) &&
        options.arrivalSpanMs > 0 &&
        options.arrivalSpanMs <= durationMs,
      'arrivalSpanMs must be > 0 and at most durationMs',
    );
  }
  const faults = { ...DEFAULT_FAULTS, ...options.faults };
  for (const [name, rate] of Object.entries(faults)) {
    check(rate >= 0 && rate <= 1, `faults.${name} must be a probability from 0 to 1`);
  }
  check(
    faults.lostReceipt + faults.orphanClosure <= 1 && faults.missingFeedback + faults.orphanClosure <= 1,
    'faults.orphanClosure plus faults.lostReceipt (or faults.missingFeedback) must be at most 1',
  );
  const mix: TrafficMix = {
    ...DEFAULT_MIX,
    ...options.mix,
    classes: { ...DEFAULT_MIX.classes, ...options.mix?.classes },
    outcomes: { ...DEFAULT_MIX.outcomes, ...options.mix?.outcomes },
  };
  for (const [group, weights] of [
    ['classes', mix.classes],
    ['outcomes', mix.outcomes],
  ] as const) {
    const values = Object.values(weights);
    check(
      values.every((w) => w >= 0) && values.some((w) => w > 0),
      `mix.${group} weights must be >= 0, and one > 0`,
    );
  }
  for (const name of ['explicitMailClass', 'reclassified', 'takenOutAgain'] as const) {
    check(mix[name] >= 0 && mix[name] <= 1, `mix.${name} must be a probability from 0 to 1`);
  }
  check(
    mix.explicitMailClass + mix.reclassified <= 1,
    'mix.explicitMailClass + mix.reclassified must be at most 1',
  );
  const deadlines: Deadlines = {
    receipt: options.deadlines?.receipt ?? DEFAULT_DEADLINES.receipt,
    feedback: options.deadlines?.feedback ?? DEFAULT_DEADLINES.feedback,
  };
  if (problems.length > 0) throw new RangeError(`simulation options: ${problems.join('; ')}`);
  return {
    seed: options.seed,
    items: options.items,
    prefix: options.prefix ?? 'SIM',
    timezone,
    startMs: options.startMs ?? null,
    date,
    durationMs,
    arrivalSpanMs: options.arrivalSpanMs ?? null,
    roundTheClock: options.roundTheClock ?? false,
    network: { ...DEFAULT_NETWORK, ...options.network },
    faults,
    mix,
    deadlines,
    calendar: options.calendar ?? null,
  };
}
