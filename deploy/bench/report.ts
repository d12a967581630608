/** The bench report: every figure and ratio, as JSON and as Markdown. */
import type { AlertDelayResult } from './alert-delay';
import type { ProfileSummary } from './cpu-profile';
import type { EndToEndResult } from './end-to-end';
import { fmt } from './progress';
import type { RawConsumeResult } from './raw-consume';
import type { RedisMemoryResult } from './redis-memory';
import type { ScriptRateResult } from './script-rate';

export interface Target {
  name: string;
  target: string;
  value: number | null;
  met: boolean;
}

/** (4) once more at half of (3)'s one-process rate */
export interface AlertDelayAtHalf extends AlertDelayResult {
  /** round((3) one process events/s / 2) */
  halfOfOneProcess: number;
  /** why `rate` is not halfOfOneProcess (--quick caps it at --alert-rate), null when it is */
  note: string | null;
}

/** What the capacity table assumes besides the measured costs. */
export interface CapacityAssumptions {
  /** a day averages 1/peakOverDay of its peak rate: events/day = peak × 86,400 / peakOverDay */
  peakOverDay: number;
  /** a hand-off is a HANDOVER plus its closure: hand-offs/day = events/day / eventsPerHandOff */
  eventsPerHandOff: number;
  /** how long a hand-off is open on average: open hand-offs = peak / eventsPerHandOff × openHours × 3,600 */
  openHours: number;
  /** the share of one core a Redis shard is kept at */
  shardCoreShare: number;
  dedupDays: number;
  /** how long a closed hand-off is kept: retentionMs in days (DEDUP_DAYS + 1) */
  retentionDays: number;
  ledgerCpuMicrosPerEvent: number | null;
  redisMicrosPerEvent: number | null;
  bytesPerClosedHandOff: number;
  bytesPerOpenHandOff: number;
}

export interface CapacityRow {
  /** national peak */
  eventsPerSecond: number;
  /** rate × ledger CPU µs/event / 1e6 */
  ledgerCores: number | null;
  /** ceil(rate × Redis µs/event / 1e6 / shardCoreShare) */
  redisShards: number | null;
  eventsPerDay: number;
  handOffsPerDay: number;
  /** closed hand-offs kept: hand-offs/day × retention days */
  keptHandOffs: number;
  /** open at any time: peak hand-off rate × openHours */
  openHandOffs: number;
  /** kept × bytes per closed hand-off + open × bytes per open hand-off */
  redisMemoryBytes: number;
  redisMemoryGiB: number;
}

export const CAPACITY_RATES = [100_000, 500_000];

export function capacityOf(a: CapacityAssumptions, rates = CAPACITY_RATES): CapacityRow[] {
  return rates.map((rate) => {
    const eventsPerDay = (rate * 86_400) / a.peakOverDay;
    const handOffsPerDay = eventsPerDay / a.eventsPerHandOff;
    const keptHandOffs = handOffsPerDay * a.retentionDays;
    const openHandOffs = (rate / a.eventsPerHandOff) * a.openHours * 3_600;
    const redisMemoryBytes = keptHandOffs * a.bytesPerClosedHandOff + openHandOffs * a.bytesPerOpenHandOff;
    return {
      eventsPerSecond: rate,
      ledgerCores:
        a.ledgerCpuMicrosPerEvent === null
          ? null
          : Number(((rate * a.ledgerCpuMicrosPerEvent) / 1e6).toFixed(2)),
      redisShards:
        a.redisMicrosPerEvent === null
          ? null
          : Math.ceil((rate * a.redisMicrosPerEvent) / 1e6 / a.shardCoreShare),
      eventsPerDay: Math.round(eventsPerDay),
      handOffsPerDay: Math.round(handOffsPerDay),
      keptHandOffs: Math.round(keptHandOffs),
      openHandOffs: Math.round(openHandOffs),
      redisMemoryBytes: Math.round(redisMemoryBytes),
      redisMemoryGiB: Number((redisMemoryBytes / 2 ** 30).toPrecision(4)),
    };
  });
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: {
    cpus: number;
    node: string;
    kafka: string;
    redis: string;
    /** 1, 5 and 15 minute load averages */
    loadBefore: number[];
    loadAfter: number[];
    servers: 'started by the bench' | 'given by KAFKA_BROKERS and REDIS_URL';
  };
  topic: {
    name: string;
    partitions: number;
    events: number;
    facilities: number;
    roles: Record<string, number>;
  };
  rawConsume: Omit<RawConsumeResult, 'batches'> & { batches: number; meanBatch: number };
  scriptRate: ScriptRateResult;
  ledger: { oneProcess: EndToEndResult; twoProcesses: EndToEndResult };
  alertDelay: AlertDelayResult;
  alertDelayAtHalf: AlertDelayAtHalf;
  redisMemory: RedisMemoryResult;
  naivePeer: EndToEndResult;
  /** (7) Kafka Streams, RocksDB, exactly_once_v2 */
  kstreamsPeer: EndToEndResult;
  /** the ledger's costs per event in (3) with one process, and Redis bytes per open and per closed hand-off in (5) */
  perEvent: {
    redisMicros: number | null;
    ledgerCpuMicros: number | null;
    bytesPerOpenHandOff: number;
    bytesPerClosedHandOff: number;
  };
  ratios: {
    /** (3) with one process / (1) */
    ledgerOverRawConsume: number | null;
    /** (3) with one process / (6) */
    ledgerOverNaivePeer: number | null;
    /** (3) with one process / (7) */
    ledgerOverKStreams: number | null;
    /** (3) with two processes / (3) with one */
    twoProcessesOverOne: number | null;
    /** (3) with one process / (2) */
    ledgerOverScript: number | null;
  };
  targets: Target[];
  /** what the per-event costs ask for at national peak rates (capacityOf) */
  capacity: CapacityRow[];
  capacityAssumptions: CapacityAssumptions;
  /** the ledger process's CPU profile, taken when a target was missed (or with --profile) */
  profile?: ProfileSummary & { why: string };
}

export const ratio = (a: number, b: number): number | null =>
  b > 0 && a > 0 ? Number((a / b).toPrecision(3)) : null; // three significant digits: a small ratio stays > 0

const ms = (v: number | null) => (v === null ? 'n/a' : `${fmt(v)} ms`);
const cores = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(2));

function alertDelayRows(d: AlertDelayResult): string[] {
  return [
    '| delay | n | p50 | p90 | p99 | max |',
    '| --- | --- | --- | --- | --- | --- |',
    `| deadline passed -> FIRING committed | ${d.fire.n} | ${ms(d.fire.p50)} | ${ms(d.fire.p90)} | ${ms(d.fire.p99)} | ${ms(d.fire.max)} |`,
    `| receipt sent -> RESOLVED committed | ${d.resolve.n} | ${ms(d.resolve.p50)} | ${ms(d.resolve.p90)} | ${ms(d.resolve.p99)} | ${ms(d.resolve.max)} |`,
  ];
}

const orNa = (v: number | null, unit = '') => (v === null ? 'n/a' : `${v}${unit}`);

/** The capacity section: its formulas (for the README to quote), assumptions and numbers. */
export function renderCapacity(rows: readonly CapacityRow[], a: CapacityAssumptions): string[] {
  const minutes = a.openHours * 60;
  return [
    '## Capacity at national peak',
    '',
    'From the costs measured above: ledger process CPU ' +
      `${orNa(a.ledgerCpuMicrosPerEvent, ' µs')} per event and Redis command time ${orNa(a.redisMicrosPerEvent, ' µs')} ` +
      `per event in (3) with one process; ${fmt(a.bytesPerClosedHandOff)} B per closed and ${fmt(a.bytesPerOpenHandOff)} B ` +
      'per open hand-off in (5).',
    '',
    `- ledger cores = rate × ledger CPU µs/event / 1e6`,
    `- Redis shards = ceil(rate × Redis µs/event / 1e6 / ${a.shardCoreShare}) (a shard kept at ${Math.round(a.shardCoreShare * 100)}% of one core)`,
    `- events/day = rate × 86,400 / ${a.peakOverDay}; hand-offs/day = events/day / ${a.eventsPerHandOff}`,
    `- hand-offs kept = hand-offs/day × ${a.retentionDays} days (retention: DEDUP_DAYS + 1, DEDUP_DAYS = ${a.dedupDays})`,
    `- open hand-offs = rate / ${a.eventsPerHandOff} × ${a.openHours} h × 3,600 s`,
    '- Redis memory = hand-offs kept × bytes per closed hand-off + open hand-offs × bytes per open hand-off',
    '',
    `Assumed: a day averages 1/${a.peakOverDay} of its peak rate (events/day = peak × 86,400 / ${a.peakOverDay}); ` +
      `a hand-off is ${a.eventsPerHandOff} events (a HANDOVER and its RECEIPT or FEEDBACK); a closed hand-off is kept ` +
      `${a.retentionDays} days (DEDUP_DAYS = ${a.dedupDays}, plus one); at any time the hand-offs of the last ${minutes} ` +
      `minutes at peak are open (an average open time of ${a.openHours} h); only the ledger's own process and Redis ` +
      'are counted (not Kafka, the watch or the API).',
    '',
    '| peak events/s | ledger cores | Redis shards | events/day | hand-offs kept | open hand-offs | Redis memory |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (c) =>
        `| ${fmt(c.eventsPerSecond)} | ${cores(c.ledgerCores)} | ${c.redisShards ?? 'n/a'} | ${fmt(c.eventsPerDay)} | ` +
        `${fmt(c.keptHandOffs)} | ${fmt(c.openHandOffs)} | ${fmt(c.redisMemoryGiB)} GiB |`,
    ),
  ];
}

function coresLine(r: EndToEndResult): string {
  return Object.entries(r.cores)
    .map(([name, v]) => `${name} ${cores(v)}`)
    .join(', ');
}

export function renderMarkdown(r: BenchReport): string {
  const e2e = (name: string, x: EndToEndResult) =>
    `| ${name} | ${fmt(x.eventsPerSecond)} | ${fmt(x.events)} events in ${x.seconds.toFixed(1)} s${x.complete ? '' : ' (time cap)'}${x.windowNote ? `; ${x.windowNote}` : ''} |`;
  const lines = [
    `# Bench report${r.quick ? ' (--quick: sizes too small for the figures to mean anything)' : ''}`,
    '',
    `${r.startedAt} to ${r.finishedAt}; ${r.machine.cpus} cores, Node ${r.machine.node}, Kafka ${r.machine.kafka}, ` +
      `Redis ${r.machine.redis} (${r.machine.servers}). Load average before ${r.machine.loadBefore.join(' / ')}, ` +
      `after ${r.machine.loadAfter.join(' / ')} (1/5/15 min): Kafka, Redis, the consumers and the bench share these cores.`,
    '',
    `Topic \`${r.topic.name}\`: ${fmt(r.topic.events)} events of a seeded postal day over ${r.topic.facilities} facilities, ` +
      `${r.topic.partitions} partitions, shuffled (${Object.entries(r.topic.roles)
        .map(([role, n]) => `${role} ${fmt(n)}`)
        .join(', ')}).`,
    '',
    '| # | figure | value | how |',
    '| --- | --- | --- | --- |',
    `| 1 | raw kafkajs consume | ${fmt(r.rawConsume.eventsPerSecond)} events/s | eachBatch, count only, ledger fetch settings; ${fmt(r.rawConsume.batches)} batches of ${fmt(r.rawConsume.meanBatch)} on average |`,
    `| 2 | ledger script on Redis | ${fmt(r.scriptRate.eventsPerSecond)} events/s | LedgerStore.applyPartition on (1)'s batches, ${r.scriptRate.concurrency} at once, parsed beforehand |`,
    `| 3 | ledger end to end, 1 process | ${fmt(r.ledger.oneProcess.eventsPerSecond)} events/s | committed offsets, ${r.ledger.oneProcess.seconds.toFixed(1)} s window |`,
    `| 3 | ledger end to end, 2 processes | ${fmt(r.ledger.twoProcesses.eventsPerSecond)} events/s | the same, one group of two |`,
    `| 4 | alert delay p50 / p99 under load | ${ms(r.alertDelay.fire.p50)} / ${ms(r.alertDelay.fire.p99)} | deadline -> FIRING committed on Kafka, n=${r.alertDelay.fire.n}, at ${fmt(r.alertDelay.sentPerSecond)} events/s |`,
    `| 4 | alert delay p50 / p99 at half of (3) | ${ms(r.alertDelayAtHalf.fire.p50)} / ${ms(r.alertDelayAtHalf.fire.p99)} | the same, n=${r.alertDelayAtHalf.fire.n}, at ${fmt(r.alertDelayAtHalf.sentPerSecond)} events/s (half of (3), 1 process: ${fmt(r.alertDelayAtHalf.halfOfOneProcess)}${r.alertDelayAtHalf.note ? `; ${r.alertDelayAtHalf.note}` : ''}) |`,
    `| 5 | Redis memory per million open hand-offs | ${fmt(r.redisMemory.megabytesPerMillion)} MB | ${fmt(r.redisMemory.openHandOffs)} open, ${fmt(r.redisMemory.bytesPerOpenHandOff)} bytes each (used_memory) |`,
    `| 5 | Redis memory per closed hand-off | ${fmt(r.redisMemory.bytesPerClosedHandOff)} B | ${fmt(r.redisMemory.closedHandOffs)} closed (HANDOVER, then RECEIPT or FEEDBACK), kept for DEDUP_DAYS: all keys, ${fmt(r.redisMemory.closedBytes)} bytes (used_memory) / closed |`,
    `| 6 | naive peer (Nest Kafka transport, one event per call) | ${fmt(r.naivePeer.eventsPerSecond)} events/s | committed offsets, ${r.naivePeer.seconds.toFixed(1)} s window |`,
    `| 7 | Kafka Streams peer (count per facility, shift, type; RocksDB; exactly_once_v2) | ${fmt(r.kstreamsPeer.eventsPerSecond)} events/s | committed offsets, ${r.kstreamsPeer.seconds.toFixed(1)} s window |`,
    '',
    '| ratio | value |',
    '| --- | --- |',
    `| (3)/(1) ledger, 1 process / raw consume | ${r.ratios.ledgerOverRawConsume ?? 'n/a'} |`,
    `| (3)/(6) ledger, 1 process / naive peer | ${r.ratios.ledgerOverNaivePeer ?? 'n/a'} |`,
    `| (3)/(7) ledger, 1 process / Kafka Streams peer | ${r.ratios.ledgerOverKStreams ?? 'n/a'} |`,
    `| (3) 2 processes / 1 process | ${r.ratios.twoProcessesOverOne ?? 'n/a'} |`,
    `| (3)/(2) ledger, 1 process / script alone | ${r.ratios.ledgerOverScript ?? 'n/a'} |`,
    '',
    '| target | wanted | measured | met |',
    '| --- | --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.name} | ${t.target} | ${t.value ?? 'n/a'} | ${t.met ? 'yes' : 'NO'} |`),
    '',
    '## Details',
    '',
    '| run | events/s | window |',
    '| --- | --- | --- |',
    e2e('ledger, 1 process', r.ledger.oneProcess),
    e2e('ledger, 2 processes', r.ledger.twoProcesses),
    e2e('naive peer', r.naivePeer),
    e2e('Kafka Streams peer', r.kstreamsPeer),
    '',
    'Cores busy during each window (CPU seconds per second; `machine` is all processes together):',
    '',
    `- ledger, 1 process: ${coresLine(r.ledger.oneProcess)}`,
    `- ledger, 2 processes: ${coresLine(r.ledger.twoProcesses)}`,
    `- naive peer: ${coresLine(r.naivePeer)}`,
    `- Kafka Streams peer: ${coresLine(r.kstreamsPeer)}`,
    '',
    `Redis command time per event (INFO commandstats): ledger ${r.ledger.oneProcess.redisMicrosPerEvent?.toFixed(1) ?? 'n/a'} µs, ` +
      `naive peer ${r.naivePeer.redisMicrosPerEvent?.toFixed(1) ?? 'n/a'} µs. Ledger process CPU per event: ` +
      `${r.perEvent.ledgerCpuMicros ?? 'n/a'} µs.`,
    '',
    `Alert delay at ${fmt(r.alertDelay.rate)} events/s for ${r.alertDelay.seconds} s, ${r.alertDelay.probes} probes:`,
    '',
    ...alertDelayRows(r.alertDelay),
    '',
    `Alert delay at half of (3)'s one-process rate, ${fmt(r.alertDelayAtHalf.rate)} events/s` +
      `${r.alertDelayAtHalf.note ? ` (${r.alertDelayAtHalf.note})` : ''}, for ${r.alertDelayAtHalf.seconds} s, ` +
      `${r.alertDelayAtHalf.probes} probes, on a fresh Redis database:`,
    '',
    ...alertDelayRows(r.alertDelayAtHalf),
    '',
    ...renderCapacity(r.capacity, r.capacityAssumptions),
  ];
  if (r.profile) {
    lines.push(
      '',
      `## Profile of the ledger process (${r.profile.why})`,
      '',
      `\`node --cpu-prof\`, ${r.profile.seconds.toFixed(1)} s, self time. By area:`,
      '',
      '| area | ms | % |',
      '| --- | --- | --- |',
      ...r.profile.areas.map((a) => `| ${a.area} | ${fmt(a.ms)} | ${a.percent} |`),
      '',
      'Top functions:',
      '',
      '| function | where | ms | % |',
      '| --- | --- | --- | --- |',
      ...r.profile.functions.map((f) => `| ${f.name} | ${f.where} | ${fmt(f.ms)} | ${f.percent} |`),
    );
  }
  return `${lines.join('\n')}\n`;
}
