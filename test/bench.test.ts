/**
 * `npm run bench -- --quick` against the run's real Kafka and Redis (ten databases of its own): the report files
 * hold every figure and ratio. Behaviour only: the figures of a tiny run on a busy machine say nothing
 * about speed, so no value is compared with a target here (only the targets' names, and the capacity
 * table against its formulas).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { testBrokers } from './helpers/kafka';
import { testRedisUrl, uniqueRedisDbs } from './helpers/redis';

const root = path.join(__dirname, '..');

function runBench(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', './deploy/local/register.js', 'deploy/bench/bench.ts', ...args],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BROKERS: testBrokers(), REDIS_URL: testRedisUrl() },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const positive = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('npm run bench --quick', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hbm-bench-test-'));
  let result: { code: number | null; stderr: string };

  beforeAll(async () => {
    // the bench uses --redis-db and the 9 databases after it
    const [first] = await uniqueRedisDbs(10);
    result = await runBench(['--quick', '--profile', '--out', out, '--redis-db', String(first)]);
  }, 600_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('finishes with exit code 0 and shows its progress on stderr', () => {
    expect({ code: result.code, tail: result.code === 0 ? '' : result.stderr.slice(-3000) }).toEqual({
      code: 0,
      tail: '',
    });
    for (const phase of [
      '(1) raw consume',
      '(2) ledger script',
      '(3) ledger, 1 process',
      '(3) ledger, 2 processes',
      '(4) alert delay',
      '(4) alert delay at half of (3)',
      '(5) Redis memory',
      '(5) Redis memory, closed',
      '(6) naive peer',
      '(7) Kafka Streams peer',
    ])
      expect(result.stderr).toContain(`] ${phase}`);
  });

  it('writes a JSON report with every figure and ratio measured', () => {
    const report = JSON.parse(fs.readFileSync(path.join(out, 'bench-report.json'), 'utf8'));
    expect(report.quick).toBe(true);
    // --events 20,000 in --quick caps the day; a quick day of 5,000 items gives about 18,600 scans
    expect(report.topic.events).toBeGreaterThan(15_000);
    expect(report.topic.events).toBeLessThanOrEqual(20_000);
    expect(report.topic.roles.HANDOVER).toBeGreaterThan(0);
    expect(report.topic.roles.DEAD_LETTER).toBeGreaterThan(0);
    expect(report.rawConsume.events).toBe(report.topic.events);
    const figures = {
      rawConsume: report.rawConsume.eventsPerSecond,
      scriptRate: report.scriptRate.eventsPerSecond,
      ledgerOne: report.ledger.oneProcess.eventsPerSecond,
      ledgerTwo: report.ledger.twoProcesses.eventsPerSecond,
      alertP50: report.alertDelay.fire.p50,
      alertP99: report.alertDelay.fire.p99,
      alertAtHalfP50: report.alertDelayAtHalf.fire.p50,
      alertAtHalfP99: report.alertDelayAtHalf.fire.p99,
      alertAtHalfRate: report.alertDelayAtHalf.rate,
      halfOfOneProcess: report.alertDelayAtHalf.halfOfOneProcess,
      memoryPerMillion: report.redisMemory.megabytesPerMillion,
      naivePeer: report.naivePeer.eventsPerSecond,
      kstreamsPeer: report.kstreamsPeer.eventsPerSecond,
      ledgerOverKStreams: report.ratios.ledgerOverKStreams,
      redisMicrosPerEvent: report.perEvent.redisMicros,
      ledgerCpuMicrosPerEvent: report.perEvent.ledgerCpuMicros,
      bytesPerOpenHandOff: report.perEvent.bytesPerOpenHandOff,
      bytesPerClosedHandOff: report.redisMemory.bytesPerClosedHandOff,
      perEventBytesPerClosedHandOff: report.perEvent.bytesPerClosedHandOff,
      ledgerOverRawConsume: report.ratios.ledgerOverRawConsume,
      ledgerOverNaivePeer: report.ratios.ledgerOverNaivePeer,
    };
    const notMeasured = Object.entries(figures).filter(([, v]) => !positive(v));
    expect(notMeasured).toEqual([]);
    expect(report.redisMemory.openHandOffs).toBeGreaterThan(4_500);
    // --memory-handoffs 5,000 in --quick: each HANDOVER followed by its closure, nearly all closed
    expect(report.redisMemory.closedHandOffs).toBeGreaterThan(4_500);
    expect(report.redisMemory.closedHandOffs).toBeLessThanOrEqual(5_000);
    expect(report.redisMemory.bytesPerClosedHandOff).toBeCloseTo(
      report.redisMemory.closedBytes / report.redisMemory.closedHandOffs,
    );
    // half of (3)'s one-process rate, capped at --alert-rate (500 in --quick)
    expect(report.alertDelayAtHalf.halfOfOneProcess).toBe(
      Math.round(report.ledger.oneProcess.eventsPerSecond / 2),
    );
    expect(report.alertDelayAtHalf.rate).toBe(Math.min(report.alertDelayAtHalf.halfOfOneProcess, 500));
    expect(report.targets.map((t: { name: string }) => t.name)).toEqual([
      '(3)/(1), one process',
      '(3)/(6)',
      '(3)/(7)',
      'Redis command time per event',
      'ledger process CPU per event',
      'Redis memory per open hand-off',
      'Redis memory per closed hand-off',
      'alert delay p99 at 500/s',
      'alert delay p99 at half of (3)',
    ]);
    expect(
      report.targets.find((t: { name: string }) => t.name === 'Redis memory per closed hand-off'),
    ).toEqual({
      name: 'Redis memory per closed hand-off',
      target: '<= 120 B',
      value: report.perEvent.bytesPerClosedHandOff,
      met: report.perEvent.bytesPerClosedHandOff <= 120,
    });
    // the capacity table, from the per-event costs by its formulas
    const a = report.capacityAssumptions;
    expect(a).toMatchObject({
      peakOverDay: 3,
      eventsPerHandOff: 2,
      openHours: 4,
      shardCoreShare: 0.7,
      dedupDays: 7,
      retentionDays: 8,
      ledgerCpuMicrosPerEvent: report.perEvent.ledgerCpuMicros,
      redisMicrosPerEvent: report.perEvent.redisMicros,
      bytesPerClosedHandOff: report.perEvent.bytesPerClosedHandOff,
      bytesPerOpenHandOff: report.perEvent.bytesPerOpenHandOff,
    });
    expect(report.capacity.map((c: { eventsPerSecond: number }) => c.eventsPerSecond)).toEqual([
      100_000, 500_000,
    ]);
    for (const c of report.capacity) {
      const kept = ((c.eventsPerSecond * 86_400) / 3 / 2) * 8;
      const open = (c.eventsPerSecond / 2) * 4 * 3_600;
      expect(c.ledgerCores).toBeCloseTo((c.eventsPerSecond * a.ledgerCpuMicrosPerEvent) / 1e6, 1);
      expect(c.redisShards).toBe(Math.ceil((c.eventsPerSecond * a.redisMicrosPerEvent) / 1e6 / 0.7));
      expect(c.keptHandOffs).toBe(Math.round(kept));
      expect(c.openHandOffs).toBe(Math.round(open));
      expect(c.redisMemoryBytes).toBe(
        Math.round(kept * a.bytesPerClosedHandOff + open * a.bytesPerOpenHandOff),
      );
      expect(c.redisMemoryBytes).toBeGreaterThan(0);
    }
    expect(report.profile.functions.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(out, 'bench-report.cpuprofile'))).toBe(true);
  });

  it('writes a Markdown report with a row for each figure, ratio and target', () => {
    const md = fs.readFileSync(path.join(out, 'bench-report.md'), 'utf8');
    for (const row of [
      '| 1 | raw kafkajs consume |',
      '| 2 | ledger script on Redis |',
      '| 3 | ledger end to end, 1 process |',
      '| 3 | ledger end to end, 2 processes |',
      '| 4 | alert delay p50 / p99 under load |',
      '| 4 | alert delay p50 / p99 at half of (3) |',
      '| 5 | Redis memory per million open hand-offs |',
      '| 5 | Redis memory per closed hand-off |',
      '| 6 | naive peer',
      '| 7 | Kafka Streams peer',
      '| (3)/(7) ledger, 1 process / Kafka Streams peer |',
      '| (3)/(1) ledger, 1 process / raw consume |',
      '| (3)/(6) ledger, 1 process / naive peer |',
      '| Redis memory per closed hand-off | <= 120 B |',
      '| alert delay p99 at 500/s | <= 1000 ms |',
      '| alert delay p99 at half of (3) | <= 1000 ms |',
      '## Capacity at national peak',
      '- ledger cores = rate × ledger CPU µs/event / 1e6',
      '- Redis shards = ceil(rate × Redis µs/event / 1e6 / 0.7)',
      '- Redis memory = hand-offs kept × bytes per closed hand-off + open hand-offs × bytes per open hand-off',
      'events/day = peak × 86,400 / 3',
      '| peak events/s | ledger cores | Redis shards |',
      '## Profile of the ledger process',
    ])
      expect(md).toContain(row);
    expect(md).not.toMatch(/\| (1|2|3|5|6|7) \| [^|]+ \| n\/a/);
    // a capacity row for each peak rate, every cell measured
    expect(md).toMatch(/^\| 100,000 \| \d[\d,.]* \| \d+ \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d,.]+ GiB \|$/m);
    expect(md).toMatch(/^\| 500,000 \| \d[\d,.]* \| \d+ \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d,.]+ GiB \|$/m);
  });
});
