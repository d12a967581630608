import { FacilityCalendar, type FacilityCalendarFile } from '@app/calendar';
import {
  FEEDBACK_COUNTER,
  deadlineOf,
  ownerFacilityOf,
  type DeadLetterReason,
  type FeedbackOutcome,
  type MailClass,
} from '@app/contracts';

import { GroundTruthBuilder, type GroundTruth } from './ground-truth';
import { MAX_SERIAL, SERVICE_INDICATORS, itemNumber, withWrongCheckDigit } from './item-numbers';
import { LocalClock } from './local-clock';
import { buildNetwork, facilityCalendarOf, type DeliveryStation, type Network } from './network';
import { Dice } from './random';
import {
  badMessageValue,
  feedbackValue,
  handoverValue,
  receiptValue,
  type BadMessageReason,
  type HandoverScan,
} from './scan-messages';
import { TimeBuckets } from './time-buckets';
import { resolveOptions, type ResolvedOptions, type SimulationOptions } from './simulation-options';

// Module-level aliases: a global looked up in a vm context (Jest's) is slow; see random.ts.
const floor = Math.floor;
const toNumber = Number;
const SECOND_MS = 1000;
const MINUTE_MS = 60_000;

/** What a message is in the day: the scan of a hand-off, a fault, or input the system must dead-letter. */
export type MessageRole =
  /** the HANDOVER that opens a hand-off */
  | 'HANDOVER'
  /** the RECEIPT or FEEDBACK that closes a hand-off */
  | 'CLOSURE'
  /** a RECEIPT or FEEDBACK whose HANDOVER never exists */
  | 'ORPHAN'
  /** a second HANDOVER of an open hand-off, new eventId */
  | 'DOUBLE_SCAN'
  /** a second closure of a closed hand-off, new eventId */
  | 'DOUBLE_CLOSURE'
  /** the very same message sent again (same eventId) */
  | 'RESENT'
  /** not a valid scan: dead-lettered with `deadLetter` as reason */
  | 'DEAD_LETTER';

/** A fault the day injected, named on the message that carries it (see `DayMessage.fault`). */
export type InjectedFault =
  /** on the HANDOVER of a facility-to-facility hand-off whose RECEIPT is never scanned */
  | 'LOST_RECEIPT'
  /** on the HANDOVER of a station-to-route hand-off whose FEEDBACK never comes */
  | 'MISSING_FEEDBACK'
  /** on a closure whose HANDOVER is never scanned */
  | 'ORPHAN_CLOSURE'
  /** on an express FEEDBACK to a locker or pickup point without consent */
  | 'UNCONSENTED_DELIVERY'
  | 'DOUBLE_SCAN'
  | 'DOUBLE_CLOSURE'
  | 'RESENT'
  /** on a message the system must dead-letter */
  | 'BAD_MESSAGE';

/** One Kafka message of the day, ready to produce (`key`, `value`). */
export interface DayMessage {
  /** the owner facility id: of `from` for a HANDOVER or RECEIPT, of the route for a FEEDBACK */
  readonly key: string;
  readonly value: string;
  /** where the message sits in the day: its occurredAt, or for a re-sent copy when it was sent again */
  readonly atMs: number;
  /** creation order; breaks ties of atMs */
  readonly seq: number;
  readonly role: MessageRole;
  /** the hand-off it belongs to (numbered in the day), -1 for a dead letter */
  readonly handOff: number;
  readonly deadLetter: DeadLetterReason | null;
  /** the item the message is about (for a bad message: the real item it was made from) */
  readonly itemId: string;
  /** the fault this message injects or stands for, null for a plain scan */
  readonly fault: InjectedFault | null;
}

/** The day's setting, known before the first message. */
export interface DaySetting {
  readonly options: ResolvedOptions;
  readonly network: Network;
  /** the facility calendar of the network: write it as FACILITIES_FILE for the system under test */
  readonly calendar: FacilityCalendarFile;
  /** the window of event time [startMs, endMs): no scan happens outside it */
  readonly startMs: number;
  readonly endMs: number;
}

/** A whole generated day: its messages in the order they happen, and what the system must make of them. */
export interface PostalDay extends DaySetting {
  readonly messages: readonly DayMessage[];
  readonly truth: GroundTruth;
}

/** A day generated while it is read: messages in the order they happen, the truth once all are read. */
export interface PostalDayStream extends DaySetting, Iterable<DayMessage> {
  /** whether every message has been read */
  readonly done: boolean;
  /** the ground truth; throws until every message has been read */
  truth(): GroundTruth;
}

/**
 * Streams a simulated postal day in event-time order. Memory holds only the scans generated ahead of
 * the stream (a few hours of traffic), so a day of any size can be streamed. The stream can be read once.
 */
export function streamPostalDay(options: SimulationOptions): PostalDayStream {
  const day = new DayGenerator(resolveOptions(options));
  let started = false;
  return {
    options: day.options,
    network: day.network,
    calendar: day.calendarFile,
    startMs: day.startMs,
    endMs: day.endMs,
    get done() {
      return day.finished;
    },
    truth() {
      if (!day.finished)
        throw new Error('the ground truth is known once every message of the day has been read');
      return day.truth.finish();
    },
    [Symbol.iterator]() {
      if (started) throw new Error('a postal day stream can be read only once');
      started = true;
      return day.messages();
    },
  };
}

/** Generates a whole simulated postal day: the same options (seed included) give the same day. */
export function generatePostalDay(options: SimulationOptions): PostalDay {
  const stream = streamPostalDay(options);
  const messages = [...stream];
  const { options: resolved, network, calendar, startMs, endMs } = stream;
  return { options: resolved, network, calendar, startMs, endMs, messages, truth: stream.truth() };
}

interface Closure {
  atMs: number;
  /** a RECEIPT's is DELIVERED, unused */
  outcome: FeedbackOutcome;
  consent: boolean | undefined;
}

type HandOffKind = 'CENTRE_TO_STATION' | 'STATION_TO_ROUTE' | 'ROUTE_TO_STATION';

/** One hand-off as it happens physically, and which of its scans are made. */
interface HandOffPlan {
  kind: HandOffKind;
  itemId: string;
  /** the item's class by its S10 service indicator */
  itemClass: MailClass;
  from: string;
  to: string;
  /** owner facility of `from` (for a route: its station) */
  owner: string;
  handoverBy: string;
  closureBy: string;
  atMs: number;
  /** false: the HANDOVER is never scanned (its closure is an orphan) */
  handoverScanned: boolean;
  mailClassField: MailClass | undefined;
  /** null: the closure is never scanned (lost receipt, missing feedback) */
  closure: Closure | null;
  doubleScanAtMs: number | null;
  doubleClosureAtMs: number | null;
}

const CLASSES: readonly MailClass[] = ['EXPRESS', 'PARCEL', 'LETTER'];
const OUTCOMES: readonly FeedbackOutcome[] = ['DELIVERED', 'LOCKER', 'PICKUP_POINT', 'RETURNED'];
const BAD_REASONS: ReadonlyArray<
  [BadMessageReason, 'invalidJson' | 'schemaError' | 'badItemId' | 'oversize']
> = [
  ['INVALID_JSON', 'invalidJson'],
  ['SCHEMA', 'schemaError'],
  ['BAD_ITEM_ID', 'badItemId'],
  ['OVERSIZE', 'oversize'],
];
/** Couriers leave the station from its opening (AM start) until an hour before it closes (PM end). */
const FIRST_DEPARTURE_MINUTE = 7 * 60;
const LAST_DEPARTURE_MINUTE = 19 * 60;

/**
 * The generator. Items enter the network in order of time (stratified over the arrival span); each
 * item's whole journey is decided at once, its scans wait by minute, and the stream releases every
 * minute that ends before the next item's entry. The truth is counted as the journeys are
 * decided, from the decisions themselves, not by re-reading the scans.
 */
class DayGenerator {
  readonly network: Network;
  readonly calendarFile: FacilityCalendarFile;
  readonly startMs: number;
  readonly endMs: number;
  readonly truth: GroundTruthBuilder;
  finished = false;

  private readonly dice: Dice;
  private readonly clock: LocalClock;
  private readonly pending = new TimeBuckets<DayMessage>();
  private readonly arrivalSpanMs: number;
  private readonly serialBase: number;
  private readonly eventIdPrefix: string;
  private seq = 0;
  private eventSeq = 0;
  private handOffSeq = 0;

  constructor(readonly options: ResolvedOptions) {
    this.dice = new Dice(options.seed);
    this.clock = new LocalClock(options.timezone);
    this.network = buildNetwork(options.prefix, options.timezone, options.network);
    this.calendarFile = facilityCalendarOf(this.network);
    this.truth = new GroundTruthBuilder(FacilityCalendar.fromConfig(options.calendar ?? this.calendarFile));
    // Scanners report whole seconds: every instant of the day is one, so occurredAt reads back exactly.
    const start = options.startMs ?? this.clock.midnightOf(options.date);
    this.startMs = Math.ceil(start / SECOND_MS) * SECOND_MS;
    this.endMs = this.startMs + Math.floor(options.durationMs / SECOND_MS) * SECOND_MS;
    this.arrivalSpanMs = options.arrivalSpanMs ?? Math.floor(options.durationMs * 0.75);
    this.serialBase = this.dice.int(0, MAX_SERIAL + 1 - Math.max(options.items, 1));
    this.eventIdPrefix = `${options.prefix}-${(options.seed >>> 0).toString(36)}-`;
  }

  *messages(): Generator<DayMessage, void, undefined> {
    const { items } = this.options;
    for (let i = 0; i < items; i++) {
      const offset = ((i + this.dice.next()) / items) * this.arrivalSpanMs;
      const entersAt = this.startMs + floor(offset / SECOND_MS) * SECOND_MS;
      // every scan still to be generated happens at or after entersAt
      yield* this.pending.releaseUntil(entersAt);
      this.item(i, entersAt);
    }
    yield* this.pending.releaseAll();
    this.finished = true;
  }

  // ---- journeys

  /** centre -> station -> route, and for a returned item route -> station and perhaps out once more. */
  private item(index: number, entersAt: number): void {
    const dice = this.dice;
    const { mix } = this.options;
    const itemClass = dice.weighted(mix.classes, CLASSES);
    const itemId = itemNumber(dice.pick(SERVICE_INDICATORS[itemClass]), this.serialBase + index);
    const station = dice.pick(this.network.stations);
    this.truth.tally.items++;
    this.badMessages(itemId, station, entersAt);

    // Histories (item, from, to) this item has used: an orphan only ever starts a history, since a
    // closure after an earlier closure of the same history reads as a double scan, not an orphan.
    const histories = new Set<string>();
    const arrival = this.facilityHandOff(
      'CENTRE_TO_STATION',
      itemId,
      itemClass,
      station.centreId,
      station.id,
      station.centreId,
      entersAt,
      histories,
    );
    let out = this.takeOutTime(arrival + this.minutes(10, 90));
    let route = dice.pick(station.routes);
    for (let trip = 1; ; trip++) {
      if (out >= this.endMs) return;
      const feedback = this.routeHandOff(itemId, itemClass, station, route, out, histories);
      if (feedback === null || feedback.outcome !== 'RETURNED') return;
      // shift return: the courier hands the item back to the station
      const back = feedback.atMs + this.minutes(10, 120);
      if (back >= this.endMs) return;
      const receipt = this.facilityHandOff(
        'ROUTE_TO_STATION',
        itemId,
        itemClass,
        route,
        station.id,
        station.id,
        back,
        histories,
        true,
      );
      if (trip === 2 || Number.isNaN(receipt) || !dice.chance(mix.takenOutAgain)) return;
      out = receipt + this.minutes(30, 180);
      if (!this.isDepartureTime(out)) return; // not the same day
      if (dice.chance(0.5)) route = dice.pick(station.routes);
    }
  }

  /**
   * A hand-off closed by a RECEIPT. Returns when the item arrives (the receipt's time, scanned or
   * not), or NaN when `onlyIfReceived` and the receipt is never scanned.
   */
  private facilityHandOff(
    kind: 'CENTRE_TO_STATION' | 'ROUTE_TO_STATION',
    itemId: string,
    itemClass: MailClass,
    from: string,
    to: string,
    by: string,
    atMs: number,
    histories: Set<string>,
    onlyIfReceived = false,
  ): number {
    const { faults } = this.options;
    const dice = this.dice;
    const fault = this.faultOf(`${from}|${to}`, faults.lostReceipt, histories);
    const mailClassField = this.mailClassField(itemClass);
    const receivedAt =
      atMs + this.closureDelay(5, 50, this.options.deadlines.receipt[mailClassField ?? itemClass]);
    const doubleScan = fault !== 'ORPHAN' && dice.chance(faults.doubleScan);
    const doubleScanAtMs = doubleScan ? Math.min(atMs + this.seconds(60, 300), receivedAt - SECOND_MS) : null;
    const doubleClosure = fault === 'NONE' && dice.chance(faults.doubleClosure);
    this.record({
      kind,
      itemId,
      itemClass,
      from,
      to,
      owner: ownerFacilityOf(from),
      handoverBy: by,
      closureBy: to,
      atMs,
      handoverScanned: fault !== 'ORPHAN',
      mailClassField,
      closure: fault === 'LOST' ? null : { atMs: receivedAt, outcome: 'DELIVERED', consent: undefined },
      doubleScanAtMs,
      doubleClosureAtMs: doubleClosure ? receivedAt + this.seconds(60, 300) : null,
    });
    return onlyIfReceived && fault === 'LOST' ? NaN : receivedAt;
  }

  /** A hand-off to a route, closed by a FEEDBACK. Returns the feedback, or null when it never comes. */
  private routeHandOff(
    itemId: string,
    itemClass: MailClass,
    station: DeliveryStation,
    route: string,
    atMs: number,
    histories: Set<string>,
  ): { atMs: number; outcome: FeedbackOutcome } | null {
    const { faults, mix } = this.options;
    const dice = this.dice;
    const fault = this.faultOf(`>|${route}`, faults.missingFeedback, histories);
    const mailClassField = this.mailClassField(itemClass);
    const handOffClass = mailClassField ?? itemClass;
    const feedbackAt = atMs + this.closureDelay(30, 200, this.options.deadlines.feedback[handOffClass]);
    let outcome: FeedbackOutcome;
    let consent: boolean | undefined;
    // The fault only where the item is EXPRESS by both its HANDOVER and its S10 id, and consent
    // wherever either says EXPRESS: a day never depends on which of the two rule 6 means (README).
    const bothExpress = handOffClass === 'EXPRESS' && itemClass === 'EXPRESS';
    if (fault === 'NONE' && bothExpress && dice.chance(faults.unconsentedExpress)) {
      outcome = dice.chance(0.5) ? 'LOCKER' : 'PICKUP_POINT';
      consent = dice.chance(0.5) ? false : undefined;
    } else {
      outcome = dice.weighted(mix.outcomes, OUTCOMES);
      consent = undefined;
      if (outcome === 'LOCKER' || outcome === 'PICKUP_POINT') {
        const express = handOffClass === 'EXPRESS' || itemClass === 'EXPRESS';
        consent = express ? true : dice.pick([true, false, undefined]);
      }
    }
    const doubleScan = fault !== 'ORPHAN' && dice.chance(faults.doubleScan);
    const doubleClosure = fault === 'NONE' && dice.chance(faults.doubleClosure);
    this.record({
      kind: 'STATION_TO_ROUTE',
      itemId,
      itemClass,
      from: station.id,
      to: route,
      owner: station.id,
      handoverBy: station.id,
      closureBy: station.id,
      atMs,
      handoverScanned: fault !== 'ORPHAN',
      mailClassField,
      closure: fault === 'LOST' ? null : { atMs: feedbackAt, outcome, consent },
      doubleScanAtMs: doubleScan ? Math.min(atMs + this.seconds(60, 300), feedbackAt - SECOND_MS) : null,
      doubleClosureAtMs: doubleClosure ? feedbackAt + this.seconds(60, 300) : null,
    });
    return fault === 'LOST' ? null : { atMs: feedbackAt, outcome };
  }

  /**
   * How long after its HANDOVER a closure comes: `min` to `max` minutes, or, for a hand-off with a
   * deadline of `deadlineMinutes`, at the late-closure rate 1 to 60 minutes after that deadline.
   */
  private closureDelay(min: number, max: number, deadlineMinutes: number | undefined): number {
    if (deadlineMinutes !== undefined && this.dice.chance(this.options.faults.lateClosure))
      return (deadlineMinutes + this.dice.int(1, 60)) * MINUTE_MS;
    return this.minutes(min, max);
  }

  /** One draw: ORPHAN (only for a history's first hand-off), LOST (its closure) or NONE. */
  private faultOf(history: string, lostRate: number, histories: Set<string>): 'ORPHAN' | 'LOST' | 'NONE' {
    const roll = this.dice.next();
    const { orphanClosure } = this.options.faults;
    const first = !histories.has(history);
    histories.add(history);
    if (roll < orphanClosure) return first ? 'ORPHAN' : 'NONE';
    return roll < orphanClosure + lostRate ? 'LOST' : 'NONE';
  }

  private mailClassField(itemClass: MailClass): MailClass | undefined {
    const { explicitMailClass, reclassified } = this.options.mix;
    const roll = this.dice.next();
    if (roll < reclassified) {
      const others = CLASSES.filter((c) => c !== itemClass);
      return this.dice.pick(others);
    }
    return roll < reclassified + explicitMailClass ? itemClass : undefined;
  }

  /** Couriers leave from the opening until an hour before closing; later items wait for the morning. */
  private takeOutTime(readyAt: number): number {
    if (this.isDepartureTime(readyAt)) return readyAt;
    return this.clock.nextLocalTime(readyAt, FIRST_DEPARTURE_MINUTE) + this.minutes(0, 90);
  }

  private isDepartureTime(ms: number): boolean {
    if (this.options.roundTheClock) return true;
    const minute = this.clock.minuteOfDay(ms);
    return minute >= FIRST_DEPARTURE_MINUTE && minute < LAST_DEPARTURE_MINUTE;
  }

  private badMessages(itemId: string, station: DeliveryStation, entersAt: number): void {
    const { faults } = this.options;
    for (const [reason, rate] of BAD_REASONS) {
      if (!this.dice.chance(faults[rate])) continue;
      const atMs = entersAt + this.seconds(0, 1800);
      const valid: HandoverScan = {
        eventId: this.eventId(),
        itemId,
        facilityId: station.centreId,
        from: station.centreId,
        to: station.id,
        mailClass: undefined,
        occurredAt: this.clock.rfc3339(atMs),
        operatorId: this.operatorId(),
      };
      const value = badMessageValue(reason, valid, withWrongCheckDigit(itemId), this.dice);
      if (atMs >= this.endMs) continue;
      this.push(station.centreId, value, atMs, 'DEAD_LETTER', -1, reason, itemId, 'BAD_MESSAGE');
      this.truth.deadLetter(reason);
    }
  }

  // ---- scans and the truth

  /** Emits the scans of a hand-off that fall in the window, and counts them as the ledger must. */
  private record(plan: HandOffPlan): void {
    const truth = this.truth;
    const tally = truth.tally;
    const handOff = this.handOffSeq++;
    const end = this.endMs;
    const { itemId, itemClass, owner, to } = plan;
    const toRoute = plan.kind === 'STATION_TO_ROUTE';
    const handOffClass = plan.mailClassField ?? itemClass;
    const deadline = deadlineOf(this.options.deadlines, to, handOffClass);
    const closure = plan.closure !== null && plan.closure.atMs < end ? plan.closure : null;
    tally.handOffs[
      plan.kind === 'CENTRE_TO_STATION' ? 'centreToStation' : toRoute ? 'stationToRoute' : 'routeToStation'
    ]++;

    if (!plan.handoverScanned) {
      if (closure === null) return; // the orphan would come after the window
      this.closureScan(plan, closure, closure.atMs, 'ORPHAN', handOff, 'ORPHAN_CLOSURE');
      const shift = truth.shiftOf(owner, closure.atMs);
      truth.count(shift, itemClass, to, 'orphans');
      shift.orphanItems.push(itemId);
      truth.alerts.orphans.push({
        facilityId: owner,
        shiftId: shift.shiftId,
        itemId,
        type: toRoute ? 'FEEDBACK' : 'RECEIPT',
        from: toRoute ? null : plan.from,
        to,
        mailClass: itemClass,
        occurredAtMs: closure.atMs,
      });
      tally.faults.orphanClosure++;
      return;
    }

    const handover: HandoverScan = {
      eventId: this.eventId(),
      itemId,
      facilityId: plan.handoverBy,
      from: plan.from,
      to,
      mailClass: plan.mailClassField,
      occurredAt: this.clock.rfc3339(plan.atMs),
      operatorId: this.operatorId(),
    };
    // a closure lost by fault, not one that would only come after the window
    const lostFault = plan.closure !== null ? null : toRoute ? 'MISSING_FEEDBACK' : 'LOST_RECEIPT';
    this.scan(
      owner,
      handoverValue(handover),
      plan.atMs,
      'HANDOVER',
      handOff,
      handOffClass,
      to,
      itemId,
      lostFault,
    );
    const shift = truth.shiftOf(owner, plan.atMs);
    truth.count(shift, handOffClass, to, 'handedOut');
    tally.handovers++;

    if (plan.doubleScanAtMs !== null && plan.doubleScanAtMs < end) {
      const again = {
        ...handover,
        eventId: this.eventId(),
        occurredAt: this.clock.rfc3339(plan.doubleScanAtMs),
      };
      this.scan(
        owner,
        handoverValue(again),
        plan.doubleScanAtMs,
        'DOUBLE_SCAN',
        handOff,
        handOffClass,
        to,
        itemId,
        'DOUBLE_SCAN',
      );
      truth.count(truth.shiftOf(owner, plan.doubleScanAtMs), handOffClass, to, 'duplicates');
      tally.faults.doubleScan++;
    }

    if (closure === null) {
      truth.count(shift, handOffClass, to, 'open');
      shift.openItems.push(itemId);
      const cause = plan.closure !== null ? 'NOT_YET' : toRoute ? 'MISSING_FEEDBACK' : 'LOST_RECEIPT';
      truth.alerts.openHandOffs.push({
        facilityId: owner,
        shiftId: shift.shiftId,
        itemId,
        from: plan.from,
        to,
        mailClass: handOffClass,
        handedOverAtMs: plan.atMs,
        deadline: toRoute ? 'FEEDBACK' : 'RECEIPT',
        dueAtMs: deadline === undefined ? null : plan.atMs + deadline * MINUTE_MS,
        cause,
      });
      if (cause === 'NOT_YET') tally.faults.notYet++;
      else if (cause === 'MISSING_FEEDBACK') tally.faults.missingFeedback++;
      else tally.faults.lostReceipt++;
      return;
    }

    const unconsented =
      toRoute &&
      handOffClass === 'EXPRESS' &&
      (closure.outcome === 'LOCKER' || closure.outcome === 'PICKUP_POINT') &&
      closure.consent !== true;
    this.closureScan(
      plan,
      closure,
      closure.atMs,
      'CLOSURE',
      handOff,
      unconsented ? 'UNCONSENTED_DELIVERY' : null,
    );
    tally.closures++;
    truth.count(shift, handOffClass, to, toRoute ? FEEDBACK_COUNTER[closure.outcome] : 'received');
    if (deadline !== undefined && closure.atMs > plan.atMs + deadline * MINUTE_MS) {
      truth.count(shift, handOffClass, to, 'closedLate');
      tally.faults.lateClosure++;
    }
    if (toRoute && handOffClass === 'EXPRESS' && itemClass === 'EXPRESS') tally.expressFeedbacks++;
    if (unconsented) {
      shift.unconsented++;
      truth.alerts.violations.push({
        facilityId: owner,
        shiftId: shift.shiftId,
        itemId,
        route: to,
        outcome: closure.outcome === 'LOCKER' ? 'LOCKER' : 'PICKUP_POINT',
        consent: closure.consent === false ? false : null,
        handedOverAtMs: plan.atMs,
        feedbackAtMs: closure.atMs,
      });
      tally.faults.unconsentedExpress++;
    }

    if (plan.doubleClosureAtMs !== null && plan.doubleClosureAtMs < end) {
      this.closureScan(plan, closure, plan.doubleClosureAtMs, 'DOUBLE_CLOSURE', handOff, 'DOUBLE_CLOSURE');
      truth.count(truth.shiftOf(owner, plan.doubleClosureAtMs), itemClass, to, 'duplicates');
      tally.faults.doubleClosure++;
    }
  }

  private closureScan(
    plan: HandOffPlan,
    closure: Closure,
    atMs: number,
    role: MessageRole,
    handOff: number,
    fault: InjectedFault | null,
  ): void {
    const eventId = this.eventId();
    const occurredAt = this.clock.rfc3339(atMs);
    const operatorId = this.operatorId();
    const value =
      plan.kind === 'STATION_TO_ROUTE'
        ? feedbackValue({
            eventId,
            itemId: plan.itemId,
            facilityId: plan.closureBy,
            route: plan.to,
            outcome: closure.outcome,
            consent: closure.consent,
            occurredAt,
            operatorId,
          })
        : receiptValue({
            eventId,
            itemId: plan.itemId,
            facilityId: plan.closureBy,
            from: plan.from,
            to: plan.to,
            occurredAt,
            operatorId,
          });
    this.scan(plan.owner, value, atMs, role, handOff, plan.itemClass, plan.to, plan.itemId, fault);
  }

  /** A valid scan; perhaps sent again, which the ledger counts as a duplicate where the scan falls. */
  private scan(
    owner: string,
    value: string,
    atMs: number,
    role: MessageRole,
    handOff: number,
    mailClass: MailClass,
    to: string,
    itemId: string,
    fault: InjectedFault | null,
  ): void {
    this.push(owner, value, atMs, role, handOff, null, itemId, fault);
    this.truth.tally.validMessages++;
    if (!this.dice.chance(this.options.faults.resent)) return;
    // a producer's retry, a moment to a few minutes later
    this.push(owner, value, atMs + this.seconds(1, 600), 'RESENT', handOff, null, itemId, 'RESENT');
    this.truth.count(this.truth.shiftOf(owner, atMs), mailClass, to, 'duplicates');
    this.truth.tally.faults.resent++;
  }

  private push(
    key: string,
    value: string,
    atMs: number,
    role: MessageRole,
    handOff: number,
    deadLetter: DeadLetterReason | null,
    itemId: string,
    fault: InjectedFault | null,
  ): void {
    flatten(value);
    this.pending.push({ key, value, atMs, seq: this.seq++, role, handOff, deadLetter, itemId, fault });
    this.truth.tally.messages++;
  }

  private eventId(): string {
    return this.eventIdPrefix + (this.eventSeq++).toString(36);
  }

  private operatorId(): string {
    return `OP${this.dice.int(1, 40)}`;
  }

  /** A whole number of minutes in [min, max], in ms. */
  private minutes(min: number, max: number): number {
    return this.seconds(min * 60, max * 60);
  }

  /** A whole number of seconds in [min, max], in ms. */
  private seconds(min: number, max: number): number {
    return this.dice.int(min, max) * SECOND_MS;
  }
}

/**
 * A string built from parts is a tree of pieces in V8 until something reads it whole; flattening it
 * now, while it is young, keeps each scan waiting in memory one object, not a tree of dozens, which
 * more than halves the time spent collecting garbage.
 */
function flatten(text: string): void {
  toNumber(text);
}
