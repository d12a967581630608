/**
 * `npm run bench -- --quick` against the run's real Kafka and Redis (databases 70-79): the report files
 * hold every figure and ratio. Behaviour only: the figures of a tiny run on a busy machine say nothing
 * about speed, so no value is compared with a target here.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { testBrokers } from './helpers/kafka';
import { testRedisUrl } from './helpers/redis';

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
    result = await runBench(['--quick', '--profile', '--out', out, '--redis-db', '70']);
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
      '(5) Redis memory',
      '(6) naive peer',
      '(7) Kafka Streams peer',
    ])
      expect(result.stderr).toContain(`] ${phase}`);
  });

  it('writes a JSON report with every figure and ratio measured', () => {
    const report = JSON.parse(fs.readFileSync(path.join(out, 'bench-report.json'), 'utf8'));
    expect(report.quick).toBe(true);
    expect(report.topic.events).toBe(20_000);
    expect(report.topic.roles.HANDOVER).toBeGreaterThan(0);
    expect(report.topic.roles.DEAD_LETTER).toBeGreaterThan(0);
    expect(report.rawConsume.events).toBe(20_000);
    const figures = {
      rawConsume: report.rawConsume.eventsPerSecond,
      scriptRate: report.scriptRate.eventsPerSecond,
      ledgerOne: report.ledger.oneProcess.eventsPerSecond,
      ledgerTwo: report.ledger.twoProcesses.eventsPerSecond,
      alertP50: report.alertDelay.fire.p50,
      alertP99: report.alertDelay.fire.p99,
      memoryPerMillion: report.redisMemory.megabytesPerMillion,
      naivePeer: report.naivePeer.eventsPerSecond,
      kstreamsPeer: report.kstreamsPeer.eventsPerSecond,
      ledgerOverKStreams: report.ratios.ledgerOverKStreams,
      redisMicrosPerEvent: report.perEvent.redisMicros,
      ledgerCpuMicrosPerEvent: report.perEvent.ledgerCpuMicros,
      bytesPerOpenHandOff: report.perEvent.bytesPerOpenHandOff,
      ledgerOverRawConsume: report.ratios.ledgerOverRawConsume,
      ledgerOverNaivePeer: report.ratios.ledgerOverNaivePeer,
    };
    const notMeasured = Object.entries(figures).filter(([, v]) => !positive(v));
    expect(notMeasured).toEqual([]);
    expect(report.redisMemory.openHandOffs).toBeGreaterThan(4_500);
    expect(report.targets.map((t: { name: string }) => t.name)).toEqual([
      '(3)/(1), one process',
      '(3)/(6)',
      '(3)/(7)',
      'Redis command time per event',
      'ledger process CPU per event',
      'Redis memory per open hand-off',
      'alert delay p99',
    ]);
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
      '| 5 | Redis memory per million open hand-offs |',
      '| 6 | naive peer',
      '| 7 | Kafka Streams peer',
      '| (3)/(7) ledger, 1 process / Kafka Streams peer |',
      '| (3)/(1) ledger, 1 process / raw consume |',
      '| (3)/(6) ledger, 1 process / naive peer |',
      '| alert delay p99 | <= 1000 ms |',
      '## Profile of the ledger process',
    ])
      expect(md).toContain(row);
    expect(md).not.toMatch(/\| (1|2|3|5|6|7) \| [^|]+ \| n\/a/);
  });
});
