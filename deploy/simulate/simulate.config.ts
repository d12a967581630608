/**
 * The simulator's settings: command-line options and the environment it shares with the services
 * (KAFKA_*, SCAN_TOPIC, FACILITIES_FILE, the scan limits), parsed once, here, with zod.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { z } from 'zod';

import { parseFacilityCalendarFile, type FacilityCalendarFile } from '@app/calendar';
import {
  ConfigError,
  env,
  kafkaConnectionOf,
  KafkaSettings,
  parseEnv,
  RuleSettings,
  type KafkaConnectionSettings,
} from '@app/config';
import { DEFAULT_FAULTS, NO_FAULTS, type FaultRates, type NetworkSize } from '@app/simulation';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Network sizes by name (`--province`). */
export const PROVINCES: Record<string, NetworkSize & { about: string }> = {
  demo: {
    centres: 1,
    stationsPerCentre: 3,
    routesPerStation: 4,
    about: '1 centre, 3 stations, 4 routes each',
  },
  zhejiang: {
    centres: 2,
    stationsPerCentre: 4,
    routesPerStation: 6,
    about: '2 centres, 8 stations, 6 routes each',
  },
  large: {
    centres: 10,
    stationsPerCentre: 12,
    routesPerStation: 8,
    about: '10 centres, 120 stations, 8 routes each',
  },
};

export const USAGE = `npm run simulate -- [options]

Sends a seeded province's postal day (processing centres -> delivery stations -> couriers' routes, their
shifts) to the scan topic at a chosen rate and time speed-up, with injected faults, and writes the ground
truth of what it sent: per facility and shift the counters, open and orphaned items and violations the
ledger must end with, and every injected fault by kind with its item ids.

Time: the simulated day of --duration runs --speedup times faster than the wall clock and is placed so
that it ends when the run ends: its scans happen in the recent past, the last ones now, so deadlines
and shift closes fall due while it runs. The run lasts duration / speedup of wall time.

  --rate N                 events per second on average (default 100); sets how many items the day has
  --events N               the day's number of events instead (then the rate follows)
  --speedup X              simulated seconds per wall second, >= 1 (default 60: a day in 24 minutes)
  --duration D             length of the simulated day: 90m, 6h, 2d (default 24h, at most 6d)
  --province NAME          network preset: ${Object.entries(PROVINCES)
    .map(([name, p]) => `${name} (${p.about})`)
    .join(', ')}; default zhejiang
  --facilities N           processing centres (overrides the preset)
  --stations N             delivery stations per centre
  --routes N               routes per station
  --prefix P               starts every facility id (default SIM: SIM-PC01, SIM-DS001, SIM-DS001/R01)
  --timezone TZ            IANA zone of the facilities (default Asia/Shanghai)
  --round-the-clock        couriers leave at any hour (default: 07:00-19:00 local)
  --seed N                 same seed, same day (default: random, printed)

Faults, each a probability per opportunity (defaults in brackets):
  --lost-receipts P        facility-to-facility hand-off never received [${DEFAULT_FAULTS.lostReceipt}]
  --missing-feedback P     station-to-route hand-off without delivery feedback [${DEFAULT_FAULTS.missingFeedback}]
  --unconsented P          express item put in a locker/pickup point without consent [${DEFAULT_FAULTS.unconsentedExpress}]
  --orphans P              closure whose HANDOVER was never scanned [${DEFAULT_FAULTS.orphanClosure}]
  --double-scans P         HANDOVER scanned twice [${DEFAULT_FAULTS.doubleScan}]
  --double-closures P      RECEIPT/FEEDBACK scanned twice [${DEFAULT_FAULTS.doubleClosure}]
  --late-closures P        closure after its hand-off's deadline (closedLate) [${DEFAULT_FAULTS.lateClosure}]
  --resend P               the producer sends a message again, same eventId [${DEFAULT_FAULTS.resent}]
  --reorder P              a message is held back up to --reorder-window and sent late [0.02]
  --reorder-window D       at most 20m of simulated time, inside the orphan wait (default 10m)
  --bad P                  per item, a message to dead-letter: bad JSON, schema, item id, oversize [0.003]
  --no-faults              every fault rate 0 (later fault options still apply)

Output:
  --truth FILE             the ground truth, JSON (default .local/simulation-truth.json); written also on Ctrl-C
  --write-calendar FILE    FACILITIES_FILE with the simulated facilities added; give it to the services
  --progress text|json|none   a line on stderr every second (default text)
  --brokers LIST           Kafka bootstrap servers (default KAFKA_BROKERS, localhost:9092)
  --topic T                the scan topic (default SCAN_TOPIC, postal.scan-events)
  -h, --help

Environment, as the services read it: KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_*,
SCAN_TOPIC, SCAN_TOPIC_PARTITIONS (when the topic is created), FACILITIES_FILE (the calendar the truth's
shifts follow; facilities missing from it get its defaults, as in the services), MAX_EVENT_BYTES,
MAX_CLOCK_SKEW_SECONDS, DEDUP_DAYS. Ctrl-C stops it: the batch in flight is sent, the truth written.`;

const SimulatorEnv = z.intersection(
  KafkaSettings,
  RuleSettings.extend({ SCAN_TOPIC_PARTITIONS: env.int(12, 1, 10_000) }),
);

/** `90m`, `6h`, `2d`, `3600s`, or a number of seconds. */
const UNIT_MS = { s: 1000, m: MINUTE_MS, h: HOUR_MS, d: 24 * HOUR_MS } as const;
const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?[smhd]?$/, 'must be a duration such as 90m, 6h, 2d')
  .transform((v) => {
    const [, n, unit] = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(v) as RegExpExecArray;
    return Number(n) * UNIT_MS[(unit || 's') as keyof typeof UNIT_MS];
  });

const number = (min: number, max: number) => z.coerce.number().min(min).max(max);
const probability = number(0, 1).optional();
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional();

const Options = z
  .object({
    rate: number(0.1, 1_000_000).default(100),
    events: count(1, 200_000_000),
    speedup: number(1, 100_000).default(60),
    duration: Duration.default('24h').pipe(
      z
        .number()
        .min(MINUTE_MS, 'must be at least 1m')
        .max(6 * 24 * HOUR_MS, 'must be at most 6d (older scans are too late for the ledger)'),
    ),
    province: z.string().default('zhejiang'),
    facilities: count(1, 99_999),
    stations: count(1, 99_999),
    routes: count(1, 999),
    prefix: z.string().default('SIM'),
    timezone: z.string().default('Asia/Shanghai'),
    'round-the-clock': z.boolean().default(false),
    seed: z.coerce.number().int().optional(),
    'lost-receipts': probability,
    'missing-feedback': probability,
    unconsented: probability,
    orphans: probability,
    'double-scans': probability,
    'double-closures': probability,
    'late-closures': probability,
    resend: probability,
    reorder: probability,
    'reorder-window': Duration.default('10m').pipe(
      z
        .number()
        .min(0)
        .max(20 * MINUTE_MS, 'must be at most 20m'),
    ),
    bad: probability,
    'no-faults': z.boolean().default(false),
    truth: z.string().min(1).default('.local/simulation-truth.json'),
    'write-calendar': z.string().min(1).optional(),
    progress: z.enum(['text', 'json', 'none']).default('text'),
    brokers: z.string().optional(),
    topic: z.string().min(1).optional(),
    help: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!(o.province in PROVINCES))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['province'],
        message: `must be one of ${Object.keys(PROVINCES).join(', ')}`,
      });
  });

export interface SimulatorConfig {
  seed: number;
  prefix: string;
  timezone: string;
  roundTheClock: boolean;
  network: NetworkSize;
  /** events per second; with `events` set, what that count gives */
  rate: number;
  /** the day's events, if given instead of the rate */
  events: number | null;
  speedup: number;
  durationMs: number;
  faults: FaultRates;
  reorder: number;
  reorderWindowMs: number;
  truthFile: string;
  writeCalendar: string | null;
  progress: 'text' | 'json' | 'none';
  kafka: KafkaConnectionSettings;
  topic: string;
  topicPartitions: number;
  /** the services' calendar file (FACILITIES_FILE) */
  facilitiesFile: string;
  limits: { maxEventBytes: number; maxClockSkewMs: number; dedupDays: number };
}

/** `--help` was asked for. */
export class HelpRequested extends Error {}

/** Whether a ConfigError problem line is about the command line (an option), not the environment. */
export function isUsageProblem(problem: string): boolean {
  return problem.startsWith('--') || !/^[A-Z_]+:/.test(problem);
}

const OPTION_NAMES = Object.keys(Options.innerType().shape);
const FLAGS = new Set(['round-the-clock', 'no-faults', 'help']);

/** Parses the command line and the environment; throws ConfigError (one line per problem) or HelpRequested. */
export function parseSimulatorArgs(argv: readonly string[], source: NodeJS.ProcessEnv): SimulatorConfig {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        OPTION_NAMES.map((name) => [
          name,
          { type: FLAGS.has(name) ? 'boolean' : 'string', ...(name === 'help' ? { short: 'h' } : {}) },
        ]),
      ) as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
  if (values.help === true) throw new HelpRequested(USAGE);
  const parsed = Options.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '');
        return `--${name}: ${i.message} (got ${JSON.stringify(values[name] ?? null)})`;
      }),
    );
  }
  const o = parsed.data;
  const e = parseEnv(SimulatorEnv, { ...source, ...(o.brokers ? { KAFKA_BROKERS: o.brokers } : {}) });
  const preset = PROVINCES[o.province];
  const base: Partial<FaultRates> = o['no-faults'] ? NO_FAULTS : {};
  const faults: FaultRates = { ...DEFAULT_FAULTS, ...base };
  const set = (key: keyof FaultRates, value: number | undefined) => {
    if (value !== undefined) faults[key] = value;
  };
  set('lostReceipt', o['lost-receipts']);
  set('missingFeedback', o['missing-feedback']);
  set('unconsentedExpress', o.unconsented);
  set('orphanClosure', o.orphans);
  set('doubleScan', o['double-scans']);
  set('doubleClosure', o['double-closures']);
  set('lateClosure', o['late-closures']);
  set('resent', o.resend);
  const bad = o.bad ?? (o['no-faults'] ? 0 : 0.003);
  faults.invalidJson = faults.schemaError = faults.badItemId = faults.oversize = bad / 4;
  return {
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
    prefix: o.prefix,
    timezone: o.timezone,
    roundTheClock: o['round-the-clock'],
    network: {
      centres: o.facilities ?? preset.centres,
      stationsPerCentre: o.stations ?? preset.stationsPerCentre,
      routesPerStation: o.routes ?? preset.routesPerStation,
    },
    rate: o.rate,
    events: o.events ?? null,
    speedup: o.speedup,
    durationMs: o.duration,
    faults,
    reorder: o.reorder ?? (o['no-faults'] ? 0 : 0.02),
    reorderWindowMs: o['reorder-window'],
    truthFile: o.truth,
    writeCalendar: o['write-calendar'] ?? null,
    progress: o.progress,
    kafka: kafkaConnectionOf(e),
    topic: o.topic ?? e.SCAN_TOPIC,
    topicPartitions: e.SCAN_TOPIC_PARTITIONS,
    facilitiesFile: e.FACILITIES_FILE,
    limits: {
      maxEventBytes: e.MAX_EVENT_BYTES,
      maxClockSkewMs: e.MAX_CLOCK_SKEW_SECONDS * 1000,
      dedupDays: e.DEDUP_DAYS,
    },
  };
}

/** The calendar file the services read (FACILITIES_FILE), validated. */
export function readCalendarFile(path: string): FacilityCalendarFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`FACILITIES_FILE: cannot read ${path}: ${(error as Error).message}`]);
  }
  const parsed = parseFacilityCalendarFile(raw);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `FACILITIES_FILE ${path}: ${p}`));
  return parsed.file;
}
