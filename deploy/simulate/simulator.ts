/**
 * The simulator's run: streams a postal day (libs/simulation) to Kafka as its simulated clock passes
 * each message's time, holds some messages back (reordering), reads back what it sent into the
 * ground truth, and reports progress.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { Partitioners, type Producer } from 'kafkajs';

import { FacilityCalendar, type FacilityCalendarFile } from '@app/calendar';
import type { DeadLetterReason } from '@app/contracts';
import { createKafka, ensureTopics } from '@app/kafka';
import { JsonLogger } from '@app/observability';
import {
  buildNetwork,
  calendarWithNetwork,
  diffShift,
  Dice,
  generatePostalDay,
  LedgerReading,
  streamPostalDay,
  type DayMessage,
  type Network,
  type PostalDayStream,
  type SimulationOptions,
} from '@app/simulation';

import { readCalendarFile, type SimulatorConfig } from './simulate.config';
import type { InjectedFaults, SimulationTruth } from './truth-file';

const MAX_BATCH = 5_000;
const PILOT_ITEMS = 2_000;

/** The simulated network, and the calendar the services read with it (FACILITIES_FILE, merged if asked). */
export function simulationSetting(config: SimulatorConfig): {
  network: Network;
  calendar: FacilityCalendarFile;
  missing: string[];
} {
  const network = buildNetwork(config.prefix, config.timezone, config.network);
  const base = readCalendarFile(config.facilitiesFile);
  const calendar = config.writeCalendar ? calendarWithNetwork(base, network) : base;
  const known = new Set(calendar.facilities.map((f) => f.id));
  return { network, calendar, missing: network.facilityIds.filter((id) => !known.has(id)) };
}

/** Writes `calendar` as a FACILITIES_FILE. */
export function writeCalendar(file: string, calendar: FacilityCalendarFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(calendar, null, 2) + '\n');
}

export interface Progress {
  sent: number;
  /** events per second over the last interval */
  rate: number;
  simulatedClock: string;
  /** share of the simulated day passed, 0..1 */
  done: number;
  faults: number;
  byFault: Record<string, number>;
  wallSeconds: number;
}

interface Held {
  sendAt: number;
  message: DayMessage;
}

export class Simulator {
  private stopRequested = false;
  private sent = 0;
  private valid = 0;
  private readonly faults: InjectedFaults = {
    LOST_RECEIPT: [],
    MISSING_FEEDBACK: [],
    ORPHAN_CLOSURE: [],
    UNCONSENTED_DELIVERY: [],
    DOUBLE_SCAN: [],
    DOUBLE_CLOSURE: [],
    RESENT: [],
    REORDERED: [],
    BAD_MESSAGE: {},
  };
  private readonly reading: LedgerReading;
  private readonly calendarFile: FacilityCalendarFile;
  private readonly network: Network;
  private simulatedNow = 0;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly report: (progress: Progress) => void,
    private readonly say: (line: string) => void,
  ) {
    const { network, calendar, missing } = simulationSetting(config);
    this.network = network;
    this.calendarFile = calendar;
    if (config.writeCalendar) {
      writeCalendar(config.writeCalendar, calendar);
      say(
        `wrote the calendar with the simulated facilities to ${config.writeCalendar}: give it to the services as FACILITIES_FILE`,
      );
    } else if (missing.length > 0) {
      say(
        `${missing.length} simulated facilities are not in ${config.facilitiesFile}: the services give them its default shifts, and so does this truth (--write-calendar FILE adds them)`,
      );
    }
    this.reading = new LedgerReading(FacilityCalendar.fromConfig(calendar), config.limits);
  }

  /** Stop after the batch in flight; `run` then resolves with the truth of what was sent. */
  stop(): void {
    this.stopRequested = true;
  }

  async run(): Promise<SimulationTruth> {
    const config = this.config;
    const startedAt = Date.now();
    const wallMs = config.durationMs / config.speedup;
    // the simulated day ends when the run does: its scans are in the recent past, the last ones now
    const startMs = startedAt + wallMs - config.durationMs;
    const options: SimulationOptions = {
      seed: config.seed,
      items: 0,
      prefix: config.prefix,
      timezone: config.timezone,
      startMs,
      durationMs: config.durationMs,
      roundTheClock: config.roundTheClock,
      network: config.network,
      faults: config.faults,
      calendar: this.calendarFile,
    };
    options.items = this.itemsFor(options, wallMs);
    const day = streamPostalDay(options);
    const clock = () => day.startMs + (Date.now() - startedAt) * config.speedup;
    this.say(
      `simulating ${options.items.toLocaleString('en')} items (${this.network.facilityIds.length} facilities, seed ${config.seed}) ` +
        `from ${new Date(day.startMs).toISOString()} to ${new Date(day.endMs).toISOString()} at x${config.speedup}: ` +
        `about ${Math.round(wallMs / 1000)} s to ${config.topic}; truth to ${config.truthFile}`,
    );

    const kafka = createKafka(
      config.kafka,
      new JsonLogger('warn', 'simulate', (line) => process.stderr.write(line + '\n')),
    );
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [{ topic: config.topic, numPartitions: config.topicPartitions }]);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();

    const dice = new Dice(config.seed ^ 0x5eed);
    const held: Held[] = [];
    const iterator = day[Symbol.iterator]();
    let next = iterator.next();
    let lastReport = { at: Date.now(), sent: 0 };
    const progress = (force = false) => {
      const now = Date.now();
      if (!force && now - lastReport.at < 1000) return;
      const rate = ((this.sent - lastReport.sent) * 1000) / Math.max(1, now - lastReport.at);
      lastReport = { at: now, sent: this.sent };
      const byFault = this.faultCounts();
      this.report({
        sent: this.sent,
        rate,
        simulatedClock: new Date(Math.min(this.simulatedNow, day.endMs)).toISOString(),
        done: Math.min(1, (this.simulatedNow - day.startMs) / (day.endMs - day.startMs)),
        faults: Object.values(byFault).reduce((a, b) => a + b, 0),
        byFault,
        wallSeconds: (now - startedAt) / 1000,
      });
    };
    const timer = setInterval(() => progress(), 1000);
    try {
      while (!this.stopRequested) {
        this.simulatedNow = clock();
        const batch: DayMessage[] = [];
        while (!next.done && next.value.atMs <= this.simulatedNow && batch.length < MAX_BATCH) {
          const message = next.value;
          if (config.reorder > 0 && dice.chance(config.reorder)) {
            insertHeld(held, { sendAt: message.atMs + dice.next() * config.reorderWindowMs, message });
          } else batch.push(message);
          next = iterator.next();
        }
        // once the day is over, what is still held back goes at once
        while (
          held.length > 0 &&
          (held[0].sendAt <= this.simulatedNow || next.done) &&
          batch.length < MAX_BATCH
        ) {
          const { message } = held.shift() as Held;
          this.faults.REORDERED.push(message.itemId);
          batch.push(message);
        }
        if (batch.length > 0) await this.send(producer, batch);
        else if (next.done && held.length === 0) break;
        else {
          const due = Math.min(next.done ? Infinity : next.value.atMs, held[0]?.sendAt ?? Infinity);
          await sleep(Math.max(5, Math.min(200, (due - this.simulatedNow) / config.speedup)));
        }
        progress();
      }
    } finally {
      clearInterval(timer);
      await producer.disconnect();
    }
    progress(true);
    return this.truth(day, startedAt);
  }

  private async send(producer: Producer, batch: DayMessage[]): Promise<void> {
    await producer.send({
      topic: this.config.topic,
      acks: -1,
      messages: batch.map((m) => ({ key: m.key, value: m.value })),
    });
    const now = Date.now();
    for (const m of batch) {
      this.sent++;
      this.reading.add(m.value, now);
      if (m.deadLetter === null) this.valid++;
      if (m.fault === 'BAD_MESSAGE') {
        const reason = m.deadLetter as DeadLetterReason;
        (this.faults.BAD_MESSAGE[reason] ??= []).push(m.itemId);
      } else if (m.fault !== null) this.faults[m.fault].push(m.itemId);
    }
  }

  /** Items for the rate (or --events): events per item measured on a small day of the same kind. */
  private itemsFor(options: SimulationOptions, wallMs: number): number {
    const events = this.config.events ?? Math.max(1, Math.round((this.config.rate * wallMs) / 1000));
    const pilot = generatePostalDay({ ...options, items: PILOT_ITEMS, calendar: undefined });
    const perItem = pilot.messages.length / PILOT_ITEMS || 4;
    return Math.max(1, Math.round(events / perItem));
  }

  private faultCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [kind, ids] of Object.entries(this.faults)) {
      out[kind] = Array.isArray(ids)
        ? ids.length
        : Object.values(ids as Record<string, string[]>).reduce((a, b) => a + b.length, 0);
    }
    return out;
  }

  private truth(day: PostalDayStream, startedAt: number): SimulationTruth {
    const shifts = this.reading.shifts();
    const completed = day.done && !this.stopRequested;
    let selfCheck: SimulationTruth['selfCheck'] = { generatorAgrees: null, differences: [] };
    if (day.done) {
      const generated = day.truth();
      const differences = [
        ...[...generated.shifts.keys()].filter((k) => !shifts.has(k)).map((k) => `${k}: not in the reading`),
        ...[...shifts.keys()]
          .filter((k) => !generated.shifts.has(k))
          .map((k) => `${k}: not in the generator's truth`),
        ...[...generated.shifts].flatMap(([k, t]) => {
          const read = shifts.get(k);
          return read ? diffShift(t, read) : [];
        }),
      ];
      selfCheck = { generatorAgrees: differences.length === 0, differences: differences.slice(0, 50) };
    }
    const deadLetters = Object.fromEntries(this.reading.deadLetters) as Record<DeadLetterReason, number>;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      version: 1,
      run: {
        seed: this.config.seed,
        prefix: this.config.prefix,
        topic: this.config.topic,
        brokers: this.config.kafka.brokers,
        facilitiesFile: this.config.writeCalendar ?? this.config.facilitiesFile,
        startedAt: iso(startedAt),
        endedAt: iso(Date.now()),
        completed,
        speedup: this.config.speedup,
        rate: this.config.rate,
        network: this.config.network,
        faultRates: { ...this.config.faults, reorder: this.config.reorder },
        simulatedStart: iso(day.startMs),
        simulatedEnd: iso(day.endMs),
        simulatedUntil: iso(Math.min(this.simulatedNow, day.endMs)),
      },
      facilities: [...this.network.facilityIds],
      messages: { sent: this.sent, valid: this.valid, deadLetters },
      shifts: [...shifts.values()].map((s) => ({ ...s, start: iso(s.startMs), end: iso(s.endMs) })),
      faults: this.faults,
      selfCheck,
    };
  }
}

/** Keeps `held` sorted by sendAt (few messages are held at once). */
function insertHeld(held: Held[], entry: Held): void {
  let i = held.length;
  while (i > 0 && held[i - 1].sendAt > entry.sendAt) i--;
  held.splice(i, 0, entry);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes the truth file. */
export function writeTruth(file: string, truth: SimulationTruth): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(truth, null, 1) + '\n');
}
