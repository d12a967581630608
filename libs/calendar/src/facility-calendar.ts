import { readFileSync } from 'node:fs';

import {
  FacilityCalendarFile,
  FacilityKind,
  ShiftDefinition,
  parseFacilityCalendarFile,
} from './facility-calendar-file';
import { ZoneClock } from './zone-clock';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Local days of shift boundaries kept per shift pattern; a week of replay plus slack. */
const MAX_CACHED_DAYS = 64;
const MAX_RANGE_DAYS = 400;
const SHIFT_ID_PATTERN = /^(\d{4})-(\d{2})-(\d{2})\/([A-Z0-9]{1,8})$/;

/** One occurrence of a facility's shift: `shiftId` is `<local date the shift started>/<code>`. */
export interface Shift {
  readonly facilityId: string;
  readonly shiftId: string;
  readonly code: string;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The times of one occurrence of a shift, without the facility: what shiftTimesAt returns, an object
 * the calendar shares among calls and facilities (never changed once returned).
 */
export interface ShiftTimes {
  readonly shiftId: string;
  readonly code: string;
  readonly startMs: number;
  readonly endMs: number;
}

export interface FacilityInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: FacilityKind;
  readonly timezone: string;
}

/** A calendar file that cannot be used; `problems` has one line per problem, each naming what is wrong. */
export class FacilityCalendarError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'FacilityCalendarError';
  }
}

/** When a shift closes: its end plus the grace period, in real elapsed time (SPEC section 1). */
export function closesAtMs(shift: Shift, graceMinutes: number): number {
  return shift.endMs + graceMinutes * MINUTE_MS;
}

/**
 * The facilities' working shifts in local time (SPEC section 1). An instant belongs to the shift whose
 * start is the latest at or before it, so the gap between two shifts belongs to the earlier one.
 *
 * Daylight saving time, for zones that have it, follows one rule for every local time in the file:
 * - a local time that does not exist (skipped when clocks go forward) means the moment the clocks jump,
 *   e.g. a 02:30 start in Europe/Berlin on the spring-forward day starts at 03:00 CEST;
 * - a local time that occurs twice (clocks go back) means its first occurrence.
 * The rule keeps starts in order, so shifts tile the timeline without overlaps or holes; a shift that
 * spans a change is an hour shorter or longer in real time.
 *
 * shiftAt is called for every event: it answers from the last shift found (per shift pattern, shared by
 * facilities with the same zone and shifts), else from a bounded per-day cache, and calls Intl only to
 * compute a local day it has not seen.
 */
export class FacilityCalendar {
  private readonly facilities = new Map<string, { info: FacilityInfo; pattern: ShiftPattern }>();
  private readonly defaultPattern: ShiftPattern;

  private constructor(file: FacilityCalendarFile) {
    const zones = new Map<string, ZoneClock>();
    const patterns = new Map<string, ShiftPattern>();
    const patternFor = (timezone: string, shifts: readonly ShiftDefinition[]): ShiftPattern => {
      const key = `${timezone}|${shifts.map((s) => `${s.code}=${s.start}-${s.end}`).join(',')}`;
      let pattern = patterns.get(key);
      if (pattern === undefined) {
        let zone = zones.get(timezone);
        if (zone === undefined) zones.set(timezone, (zone = new ZoneClock(timezone)));
        pattern = new ShiftPattern(zone, shifts);
        patterns.set(key, pattern);
      }
      return pattern;
    };
    this.defaultPattern = patternFor(file.defaults.timezone, file.defaults.shifts);
    for (const facility of file.facilities) {
      const timezone = facility.timezone ?? file.defaults.timezone;
      const info: FacilityInfo = { id: facility.id, name: facility.name, kind: facility.kind, timezone };
      this.facilities.set(facility.id, {
        info,
        pattern: patternFor(timezone, facility.shifts ?? file.defaults.shifts),
      });
    }
  }

  /** Reads and validates a calendar file; throws a FacilityCalendarError with one line per problem. */
  static fromFile(path: string): FacilityCalendar {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new FacilityCalendarError([
        `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
      ]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new FacilityCalendarError([`${path}: is not valid JSON (${(error as Error).message})`]);
    }
    return FacilityCalendar.build(raw, `${path}: `);
  }

  /** Validates an already parsed calendar; throws a FacilityCalendarError with one line per problem. */
  static fromConfig(raw: unknown): FacilityCalendar {
    return FacilityCalendar.build(raw, 'facility calendar: ');
  }

  private static build(raw: unknown, prefix: string): FacilityCalendar {
    const parsed = parseFacilityCalendarFile(raw);
    if (!parsed.ok) throw new FacilityCalendarError(parsed.problems.map((problem) => prefix + problem));
    return new FacilityCalendar(parsed.file);
  }

  /** Whether the facility is listed in the file (an unknown one works on the defaults). */
  isKnown(facilityId: string): boolean {
    return this.facilities.has(facilityId);
  }

  /** The listed facility, or null for one that works on the defaults. */
  facility(facilityId: string): FacilityInfo | null {
    return this.facilities.get(facilityId)?.info ?? null;
  }

  facilityIds(): string[] {
    return [...this.facilities.keys()];
  }

  /** The shift of the facility that the instant falls in. Throws a RangeError for a non-finite instant. */
  shiftAt(facilityId: string, instantMs: number): Shift {
    const slot = this.patternOf(facilityId).slotAt(instantMs);
    return { facilityId, shiftId: slot.shiftId, code: slot.code, startMs: slot.startMs, endMs: slot.endMs };
  }

  /**
   * shiftAt for the hot path: the same shift without its facility id, and without allocating (the
   * object returned is shared; it never changes). Throws a RangeError for a non-finite instant.
   */
  shiftTimesAt(facilityId: string, instantMs: number): ShiftTimes {
    return this.patternOf(facilityId).slotAt(instantMs);
  }

  /** The shift named by a shift id such as `2026-11-27/N`, or null if the id or its code is not the facility's. */
  shiftById(facilityId: string, shiftId: string): Shift | null {
    const match = SHIFT_ID_PATTERN.exec(shiftId);
    if (match === null) return null;
    const [, year, month, day, code] = match;
    const dayMs = Date.UTC(Number(year), Number(month) - 1, Number(day));
    const localDay = dayMs / DAY_MS;
    if (isoDate(localDay) !== shiftId.slice(0, 10)) return null;
    const slot = this.patternOf(facilityId).slotByCode(localDay, code);
    return slot === undefined ? null : toShift(facilityId, slot);
  }

  /** Every shift of the facility whose start lies in [fromMs, toMs), in order. */
  shiftsBetween(facilityId: string, fromMs: number, toMs: number): Shift[] {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('instants must be finite');
    if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS)
      throw new RangeError(`a range is at most ${MAX_RANGE_DAYS} days`);
    if (toMs <= fromMs) return [];
    return this.patternOf(facilityId)
      .slotsStartingBetween(fromMs, toMs)
      .map((slot) => toShift(facilityId, slot));
  }

  /** The facility's IANA time zone (the default one for an unknown facility). */
  timezoneOf(facilityId: string): string {
    return this.patternOf(facilityId).zone.timezone;
  }

  private patternOf(facilityId: string): ShiftPattern {
    return this.facilities.get(facilityId)?.pattern ?? this.defaultPattern;
  }
}

function toShift(facilityId: string, slot: ShiftSlot): Shift {
  return { facilityId, shiftId: slot.shiftId, code: slot.code, startMs: slot.startMs, endMs: slot.endMs };
}

/** Days since 1970-01-01 as `YYYY-MM-DD`. */
function isoDate(localDay: number): string {
  return new Date(localDay * DAY_MS).toISOString().slice(0, 10);
}

function minutesOf(localTime: string): number {
  return Number(localTime.slice(0, 2)) * 60 + Number(localTime.slice(3, 5));
}

interface ShiftSlot {
  readonly code: string;
  readonly shiftId: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Start of the following shift; NaN until known (the last slot of a day needs the next day). */
  nextStartMs: number;
}

interface DayPlan {
  /** The first instant of the local day. */
  readonly startMs: number;
  /** The day's shifts in order of start. */
  readonly slots: readonly ShiftSlot[];
}

/** One time zone and one list of shifts, shared by every facility that has both. */
class ShiftPattern {
  private readonly shifts: ReadonlyArray<{ code: string; startMinute: number; endMinute: number }>;
  private readonly days = new Map<number, DayPlan>();
  private last: ShiftSlot | undefined;
  /** Local minus UTC at the last local day planned: a guess for the local day of the next instant. */
  private offsetHintMs = 0;

  constructor(
    readonly zone: ZoneClock,
    shifts: readonly ShiftDefinition[],
  ) {
    this.shifts = shifts
      .map((shift) => ({
        code: shift.code,
        startMinute: minutesOf(shift.start),
        endMinute: minutesOf(shift.end),
      }))
      .sort((a, b) => a.startMinute - b.startMinute);
  }

  slotAt(t: number): ShiftSlot {
    const last = this.last;
    if (last !== undefined && t >= last.startMs && t < last.nextStartMs) return last;
    const slot = this.findSlot(t);
    this.last = slot;
    return slot;
  }

  slotByCode(localDay: number, code: string): ShiftSlot | undefined {
    return this.plan(localDay).slots.find((slot) => slot.code === code);
  }

  slotsStartingBetween(fromMs: number, toMs: number): ShiftSlot[] {
    const found: ShiftSlot[] = [];
    const lastDay = this.zone.localDayOf(toMs) + 1;
    for (let day = this.zone.localDayOf(fromMs) - 1; day <= lastDay; day++) {
      for (const slot of this.plan(day).slots) {
        if (slot.startMs >= fromMs && slot.startMs < toMs) found.push(slot);
      }
    }
    return found;
  }

  private findSlot(t: number): ShiftSlot {
    if (!Number.isFinite(t)) throw new RangeError(`not an instant: ${t}`);
    let day = Math.floor((t + this.offsetHintMs) / DAY_MS);
    for (let attempt = 0; ; attempt++) {
      if (attempt === 4) {
        day = this.zone.localDayOf(t);
        break;
      }
      if (t < this.plan(day).startMs) day--;
      else if (t >= this.plan(day + 1).startMs) day++;
      else break;
    }
    // Starts are in order across days, so the latest start at or before t is found scanning back from day + 1.
    for (let d = day + 1; d >= day - 2; d--) {
      const slots = this.plan(d).slots;
      for (let i = slots.length - 1; i >= 0; i--) {
        const slot = slots[i];
        if (slot.startMs > t) continue;
        if (Number.isNaN(slot.nextStartMs)) slot.nextStartMs = this.plan(d + 1).slots[0].startMs;
        return slot;
      }
    }
    throw new Error(`no shift starts before ${new Date(t).toISOString()} in ${this.zone.timezone}`);
  }

  private plan(localDay: number): DayPlan {
    const cached = this.days.get(localDay);
    if (cached !== undefined) return cached;
    const date = isoDate(localDay);
    const slots: ShiftSlot[] = this.shifts.map((shift) => ({
      code: shift.code,
      shiftId: `${date}/${shift.code}`,
      startMs: this.zone.instantOf(localDay, shift.startMinute),
      endMs: this.zone.instantOf(
        shift.endMinute > shift.startMinute ? localDay : localDay + 1,
        shift.endMinute,
      ),
      nextStartMs: NaN,
    }));
    for (let i = 0; i + 1 < slots.length; i++) slots[i].nextStartMs = slots[i + 1].startMs;
    const plan: DayPlan = { startMs: this.zone.instantOf(localDay, 0), slots };
    if (this.days.size >= MAX_CACHED_DAYS) this.days.delete(this.days.keys().next().value as number);
    this.days.set(localDay, plan);
    this.offsetHintMs = localDay * DAY_MS - plan.startMs;
    return plan;
  }
}
