import type { FacilityCalendar } from '@app/calendar';
import {
  COUNTERS,
  DeadLetterReason,
  MailClass,
  zeroCounters,
  type Counter,
  type FeedbackOutcome,
  type Counters,
} from '@app/contracts';

const MAIL_CLASSES: readonly MailClass[] = MailClass.options;
const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = DeadLetterReason.options;

/**
 * What the ledger of one (owner facility, shift) must hold once every scan of the day is applied and
 * every orphan wait has passed: the shape of a shift summary's body (SPEC section 5).
 */
export interface ShiftTruth {
  facilityId: string;
  shiftId: string;
  startMs: number;
  endMs: number;
  /** open and orphans both 0 */
  balanced: boolean;
  totals: Counters;
  /** every class, zeros included */
  byClass: Record<MailClass, Counters>;
  /** the downstream segments with any count, sorted by `to` */
  bySegment: (Counters & { to: string })[];
  /** one entry per open hand-off (an item open twice in the shift appears twice), sorted */
  openItems: string[];
  /** one entry per orphaned closure, sorted */
  orphanItems: string[];
  violations: { unconsentedDelivery: number };
}

/** Why a hand-off is still open at the end of the day. */
export type OpenCause = 'LOST_RECEIPT' | 'MISSING_FEEDBACK' | 'NOT_YET';

/** An open hand-off: RECEIPT_OVERDUE (deadline RECEIPT) or FEEDBACK_OVERDUE (deadline FEEDBACK) once due. */
export interface OpenHandOffTruth {
  facilityId: string;
  shiftId: string;
  itemId: string;
  from: string;
  to: string;
  /** the HANDOVER's class */
  mailClass: MailClass;
  handedOverAtMs: number;
  /** RECEIPT: to a facility; FEEDBACK: to a route (SPEC rule 5) */
  deadline: 'RECEIPT' | 'FEEDBACK';
  /** when it is overdue under the simulation's deadlines; null: this class has no such deadline */
  dueAtMs: number | null;
  /** LOST_RECEIPT/MISSING_FEEDBACK: a fault; NOT_YET: its closure would come after the window */
  cause: OpenCause;
}

/** A closure whose HANDOVER never exists: ORPHAN_CLOSURE. */
export interface OrphanTruth {
  facilityId: string;
  shiftId: string;
  itemId: string;
  type: 'RECEIPT' | 'FEEDBACK';
  /** the RECEIPT's `from`; null for a FEEDBACK */
  from: string | null;
  to: string;
  /** the item's S10 class */
  mailClass: MailClass;
  occurredAtMs: number;
}

/** An express item put in a locker or pickup point without consent: UNCONSENTED_DELIVERY. */
export interface ViolationTruth {
  /** the station, and the shift of the hand-off to the route */
  facilityId: string;
  shiftId: string;
  itemId: string;
  route: string;
  outcome: Extract<FeedbackOutcome, 'LOCKER' | 'PICKUP_POINT'>;
  /** false, or null when the field was left out */
  consent: false | null;
  handedOverAtMs: number;
  feedbackAtMs: number;
}

export interface ExpectedAlerts {
  openHandOffs: OpenHandOffTruth[];
  orphans: OrphanTruth[];
  violations: ViolationTruth[];
}

/** How much of each thing the day holds: for checking fault rates, and sums against the shift truths. */
export interface DayTally {
  items: number;
  /** hand-offs whose HANDOVER happened (scanned or not) within the window, by kind */
  handOffs: { centreToStation: number; stationToRoute: number; routeToStation: number };
  /** EXPRESS station-to-route hand-offs with a HANDOVER and their FEEDBACK in the window */
  expressFeedbacks: number;
  /** HANDOVERs that opened a hand-off (each could be double-scanned) */
  handovers: number;
  /** closures of a hand-off (each could be double-scanned) */
  closures: number;
  /** valid messages before re-sending (each could be re-sent) */
  validMessages: number;
  /** every message of the day: valid, re-sent copies and bad ones */
  messages: number;
  /** faults that took effect in the window; every one shows in the shift truths */
  faults: {
    lostReceipt: number;
    missingFeedback: number;
    orphanClosure: number;
    unconsentedExpress: number;
    doubleScan: number;
    doubleClosure: number;
    /** closures after their deadline that came in the window (closedLate) */
    lateClosure: number;
    resent: number;
    /** not a fault: hand-offs whose closure would come after the window */
    notYet: number;
  };
}

export interface GroundTruth {
  /** by `<facilityId>|<shiftId>` (the summary key), in key order */
  shifts: Map<string, ShiftTruth>;
  /** dead-lettered messages per reason, every reason present */
  deadLetters: Record<DeadLetterReason, number>;
  alerts: ExpectedAlerts;
  tally: DayTally;
}

interface ShiftTally {
  facilityId: string;
  shiftId: string;
  startMs: number;
  endMs: number;
  /** "<class>|<to>" -> counters in COUNTERS order */
  cells: Map<string, number[]>;
  openItems: string[];
  orphanItems: string[];
  unconsented: number;
}

/** Collects the truth as the day is generated; `finish` gives it in the published shape. */
export class GroundTruthBuilder {
  private readonly shifts = new Map<string, ShiftTally>();
  private readonly deadLetters = Object.fromEntries(DEAD_LETTER_REASONS.map((r) => [r, 0])) as Record<
    DeadLetterReason,
    number
  >;
  readonly alerts: ExpectedAlerts = { openHandOffs: [], orphans: [], violations: [] };
  readonly tally: DayTally = {
    items: 0,
    handOffs: { centreToStation: 0, stationToRoute: 0, routeToStation: 0 },
    expressFeedbacks: 0,
    handovers: 0,
    closures: 0,
    validMessages: 0,
    messages: 0,
    faults: {
      lostReceipt: 0,
      missingFeedback: 0,
      orphanClosure: 0,
      unconsentedExpress: 0,
      doubleScan: 0,
      doubleClosure: 0,
      lateClosure: 0,
      resent: 0,
      notYet: 0,
    },
  };

  constructor(private readonly calendar: FacilityCalendar) {}

  /** The tally of the owner facility's shift at the instant, created on first use. */
  shiftOf(owner: string, atMs: number): ShiftTally {
    const shift = this.calendar.shiftAt(owner, atMs);
    const key = `${owner}|${shift.shiftId}`;
    let tally = this.shifts.get(key);
    if (tally === undefined) {
      tally = {
        facilityId: owner,
        shiftId: shift.shiftId,
        startMs: shift.startMs,
        endMs: shift.endMs,
        cells: new Map(),
        openItems: [],
        orphanItems: [],
        unconsented: 0,
      };
      this.shifts.set(key, tally);
    }
    return tally;
  }

  count(shift: ShiftTally, mailClass: MailClass, to: string, counter: Counter): void {
    const cell = `${mailClass}|${to}`;
    let counters = shift.cells.get(cell);
    if (counters === undefined)
      shift.cells.set(cell, (counters = new Array<number>(COUNTERS.length).fill(0)));
    counters[COUNTER_INDEX[counter]]++;
  }

  deadLetter(reason: DeadLetterReason): void {
    this.deadLetters[reason]++;
  }

  finish(): GroundTruth {
    const shifts = new Map<string, ShiftTruth>();
    for (const key of [...this.shifts.keys()].sort()) {
      shifts.set(key, finishShift(this.shifts.get(key) as ShiftTally));
    }
    const byPlace = (a: { facilityId: string; shiftId: string; itemId: string }, b: typeof a) =>
      compare(a.facilityId, b.facilityId) || compare(a.shiftId, b.shiftId) || compare(a.itemId, b.itemId);
    return {
      shifts,
      deadLetters: { ...this.deadLetters },
      alerts: {
        openHandOffs: [...this.alerts.openHandOffs].sort((a, b) => byPlace(a, b) || compare(a.to, b.to)),
        orphans: [...this.alerts.orphans].sort((a, b) => byPlace(a, b) || compare(a.to, b.to)),
        violations: [...this.alerts.violations].sort(
          (a, b) => byPlace(a, b) || a.handedOverAtMs - b.handedOverAtMs,
        ),
      },
      tally: structuredClone(this.tally),
    };
  }
}

const COUNTER_INDEX = Object.fromEntries(COUNTERS.map((name, i) => [name, i])) as Record<Counter, number>;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addInto(target: Counters, counters: readonly number[]): void {
  for (let i = 0; i < COUNTERS.length; i++) target[COUNTERS[i]] += counters[i];
}

function finishShift(tally: ShiftTally): ShiftTruth {
  const totals = zeroCounters();
  const byClass = Object.fromEntries(MAIL_CLASSES.map((c) => [c, zeroCounters()])) as Record<
    MailClass,
    Counters
  >;
  const bySegment = new Map<string, Counters & { to: string }>();
  for (const [cell, counters] of tally.cells) {
    const bar = cell.indexOf('|');
    const mailClass = cell.slice(0, bar) as MailClass;
    const to = cell.slice(bar + 1);
    addInto(totals, counters);
    addInto(byClass[mailClass], counters);
    let segment = bySegment.get(to);
    if (segment === undefined) bySegment.set(to, (segment = { to, ...zeroCounters() }));
    addInto(segment, counters);
  }
  return {
    facilityId: tally.facilityId,
    shiftId: tally.shiftId,
    startMs: tally.startMs,
    endMs: tally.endMs,
    balanced: totals.open === 0 && totals.orphans === 0,
    totals,
    byClass,
    // localeCompare, as the ledger sorts its segments (libs/ledger foldLedgerHash)
    bySegment: [...bySegment.values()].sort((a, b) => a.to.localeCompare(b.to)),
    openItems: [...tally.openItems].sort(),
    orphanItems: [...tally.orphanItems].sort(),
    violations: { unconsentedDelivery: tally.unconsented },
  };
}
