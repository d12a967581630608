/**
 * `npm run bench:intake -- [--events N] [--rounds N] [--batch N] [--strict]`:
 * the ledger process's own CPU per scan event, without Kafka or Redis. A seeded postal day (with its
 * faults: bad messages, double scans, re-sent copies) in the bench topic's shuffled order and
 * partitioning is read the way the consumer reads it: partition batches through ScanIntake.read
 * (parse, calendar, toLedgerScan), grouped by facility into calls of at most 500 scans, each
 * serialised with scanRows as the store does. Prints process CPU (user + system) per event.
 */
import { FacilityCalendar } from '@app/calendar';
import { scanRows, type LedgerScan } from '@app/ledger';
import { generatePostalDay, shuffled } from '@app/simulation';

import { ScanIntake } from '../../apps/ledger/src/scan-intake';
import { numberOption, parseCommandLine, parseOrExit } from '../local/cli-args';
import { partitionOf } from './bench-topic';

const LIMITS = { maxEventBytes: 65_536, maxClockSkewMs: 300_000, dedupDays: 7 };
const MAX_SCANS_PER_CALL = 500;
const DAY_MS = 86_400_000;

const USAGE = `npm run bench:intake -- [--events N] [--rounds N] [--batch N] [--strict]

The ledger process's own CPU per scan event, without Kafka or Redis: a seeded postal day read as the
consumer reads it (ScanIntake, scanRows). Prints the median CPU per event over the rounds.

  --events N    events of the seeded day (default 200000)
  --rounds N    measured rounds, after one to warm up (default 9)
  --batch N     messages per partition batch (default 4000)
  --strict      as under STRICT_FACILITIES=true (facilities not in the calendar are dead-lettered)
  -h, --help`;

function parseIntakeArgs(argv: readonly string[]) {
  const { values } = parseCommandLine(argv, {
    events: { type: 'string' },
    rounds: { type: 'string' },
    batch: { type: 'string' },
    strict: { type: 'boolean' },
  });
  const whole = { min: 1, integer: true };
  return {
    events: numberOption(values.events, 'events', 200_000, whole),
    rounds: numberOption(values.rounds, 'rounds', 9, whole),
    batchSize: numberOption(values.batch, 'batch', 4_000, whole),
    strict: values.strict === true,
  };
}

function main(): void {
  const { events, rounds, batchSize, strict } = parseOrExit({ name: 'bench:intake', usage: USAGE }, () =>
    parseIntakeArgs(process.argv.slice(2)),
  );
  const partitions = 12;
  // yesterday (UTC): the same day, so the same messages, for every run on one day
  const startMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
  const day = generatePostalDay({
    seed: 1,
    items: Math.max(10, Math.ceil(events / 4)),
    prefix: 'BENCH',
    startMs,
    durationMs: DAY_MS - 60_000,
    network: { centres: 8, stationsPerCentre: 12, routesPerStation: 8 },
  });
  const messages = shuffled(day, 1).slice(0, events);
  const byPartition: Buffer[][] = Array.from({ length: partitions }, () => []);
  for (const m of messages) byPartition[partitionOf(m.key, partitions)].push(Buffer.from(m.value));
  const intake = new ScanIntake(FacilityCalendar.fromConfig(day.calendar), LIMITS, strict);

  let sink = 0;
  let ok = 0;
  const round = (): void => {
    ok = 0;
    for (let p = 0; p < partitions; p++) {
      const values = byPartition[p];
      for (let from = 0; from < values.length; from += batchSize) {
        const to = Math.min(values.length, from + batchSize);
        const batchNow = Date.now();
        const byFacility = new Map<string, LedgerScan[]>();
        for (let offset = from; offset < to; offset++) {
          const read = intake.read(values[offset], offset, batchNow);
          if (!read.ok) {
            sink += read.detail.length;
            continue;
          }
          ok++;
          const list = byFacility.get(read.facilityId);
          if (list) list.push(read.scan);
          else byFacility.set(read.facilityId, [read.scan]);
        }
        for (const scans of byFacility.values()) {
          for (let i = 0; i < scans.length; i += MAX_SCANS_PER_CALL) {
            sink += scanRows(scans.slice(i, i + MAX_SCANS_PER_CALL)).length;
          }
        }
      }
    }
  };

  round(); // warm up
  const perEvent: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const cpu = process.cpuUsage();
    round();
    const used = process.cpuUsage(cpu);
    perEvent.push((used.user + used.system) / messages.length);
  }
  perEvent.sort((a, b) => a - b);
  const median = perEvent[Math.floor(perEvent.length / 2)];
  console.log(
    `${messages.length} events (${ok} valid), ${rounds} rounds${strict ? ', STRICT_FACILITIES' : ''}: ` +
      `median ${median.toFixed(2)} µs/event, best ${perEvent[0].toFixed(2)}, worst ${perEvent[perEvent.length - 1].toFixed(2)} (sink ${sink % 10})`,
  );
}

main();
