import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { FacilityCalendarFile } from '@app/calendar';
import { readShiftLedger } from '@app/ledger';
import { buildNetwork, calendarWithNetwork, diffShift, type ShiftTruth } from '@app/simulation';

import { freePort } from '../deploy/local/ports';
import { SimulationTruth } from '../deploy/simulate/truth-file';

import { consumeAll, randomName, testBrokers, waitFor } from './helpers/kafka';
import { waitUntilConsumed, type LedgerProcess } from './helpers/ledger-process';
import { uniqueRedisUrl } from './helpers/redis';
import { System } from './helpers/system';

jest.setTimeout(600_000);

const root = join(__dirname, '..');

/** Runs a TypeScript entry point of the repository as a child process; collects its output. */
function runScript(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', './deploy/local/register.js', script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const keep = (chunk: Buffer) => out.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

const baseCalendar = () =>
  FacilityCalendarFile.parse(JSON.parse(readFileSync(join(root, 'deploy/config/facilities.json'), 'utf8')));

describe('the simulator', () => {
  const prefix = `SIMT${Date.now().toString(36).toUpperCase().slice(-5)}`;
  const dir = mkdtempSync(join(tmpdir(), 'hbm-sim-'));
  const facilitiesFile = join(dir, 'facilities.json');
  const truthFile = join(dir, 'truth.json');
  const network = { centres: 2, stationsPerCentre: 2, routesPerStation: 3 };
  writeFileSync(
    facilitiesFile,
    JSON.stringify(
      calendarWithNetwork(
        baseCalendar(),
        buildNetwork(prefix, 'Asia/Shanghai', {
          centres: network.centres,
          stationsPerCentre: network.stationsPerCentre,
          routesPerStation: network.routesPerStation,
        }),
      ),
    ),
  );
  const system = new System({ FACILITIES_FILE: facilitiesFile });
  let truth: SimulationTruth;
  let simulatorOutput: string[];

  beforeAll(async () => {
    await system.start();
    const run = runScript(
      'deploy/simulate/simulate.ts',
      [
        ...['--prefix', prefix, '--seed', '42', '--events', '8000', '--duration', '24h', '--speedup', '4000'],
        ...['--facilities', '2', '--stations', '2', '--routes', '3', '--round-the-clock'],
        ...[
          '--lost-receipts',
          '0.05',
          '--missing-feedback',
          '0.05',
          '--unconsented',
          '0.4',
          '--orphans',
          '0.04',
        ],
        ...['--double-scans', '0.05', '--double-closures', '0.05', '--resend', '0.05', '--reorder', '0.05'],
        ...['--bad', '0.03', '--truth', truthFile, '--topic', system.topics.scans],
      ],
      { KAFKA_BROKERS: testBrokers(), FACILITIES_FILE: facilitiesFile, SCAN_TOPIC: 'not-this-one' },
    );
    const code = await run.exited;
    simulatorOutput = run.out;
    expect({ code, output: code === 0 ? '' : run.out.join('\n') }).toEqual({ code: 0, output: '' });
    truth = SimulationTruth.parse(JSON.parse(readFileSync(truthFile, 'utf8')));
  });
  afterAll(() => system.stop());

  it('runs the whole day, shows its progress every second, and its own count of the day agrees with what it sent', () => {
    expect(truth.run.completed).toBe(true);
    expect(truth.selfCheck).toEqual({ generatorAgrees: true, differences: [] });
    expect(simulatorOutput.filter((l) => /^simulate: sent [\d,]+ \(\d+\/s\)/.test(l)).length).toBeGreaterThan(
      1,
    );
    expect(simulatorOutput.some((l) => /not in .*facilities/.test(l))).toBe(false);
    expect(truth.facilities).toHaveLength(2 + 4);
    expect(truth.messages.sent).toBeGreaterThan(6_000);
    expect(truth.messages.sent).toBeLessThan(10_000);
  });

  it('injects every kind of fault and names the items', () => {
    for (const kind of [
      'LOST_RECEIPT',
      'MISSING_FEEDBACK',
      'ORPHAN_CLOSURE',
      'UNCONSENTED_DELIVERY',
      'DOUBLE_SCAN',
      'DOUBLE_CLOSURE',
      'RESENT',
      'REORDERED',
    ] as const) {
      expect({ kind, n: truth.faults[kind].length > 0 }).toEqual({ kind, n: true });
      expect(truth.faults[kind].every((id) => /^[A-Z]{2}\d{9}[A-Z]{2}$/.test(id))).toBe(true);
    }
    expect(Object.keys(truth.faults.BAD_MESSAGE).length).toBeGreaterThanOrEqual(3);
    const orphanItems = truth.shifts.flatMap((s) => s.orphanItems);
    expect(orphanItems.sort()).toEqual([...truth.faults.ORPHAN_CLOSURE].sort());
    const unconsented = truth.shifts.reduce((n, s) => n + s.violations.unconsentedDelivery, 0);
    expect(unconsented).toBe(truth.faults.UNCONSENTED_DELIVERY.length);
  });

  it('puts every message it counted on the topic, keyed by the owner facility', async () => {
    const messages = await consumeAll(testBrokers(), system.topics.scans, { expected: truth.messages.sent });
    expect(messages).toHaveLength(truth.messages.sent);
    const owners = new Set(truth.facilities);
    expect(messages.every((m) => m.key !== null && owners.has(m.key))).toBe(true);
  });

  it('sends bad messages that the ledger dead-letters with the reasons of the truth', async () => {
    const expected = Object.values(truth.messages.deadLetters).reduce((a, b) => a + b, 0);
    expect(expected).toBeGreaterThan(0);
    const dead = await consumeAll(testBrokers(), `${system.topics.scans}.dlq`, {
      expected,
      timeoutMs: 120_000,
    });
    const reasons: Record<string, number> = {};
    for (const m of dead) reasons[m.headers['x-dlq-reason']] = (reasons[m.headers['x-dlq-reason']] ?? 0) + 1;
    expect(reasons).toEqual(truth.messages.deadLetters);
  });

  it('gives a ledger whose every shift equals the ground truth', async () => {
    const ledger = system.services[0] as LedgerProcess;
    await waitUntilConsumed(testBrokers(), `${system.topics.scans}-ledger`, system.topics.scans, ledger);
    const redis = new Redis(system.redisUrl);
    const differences = async () => {
      const out: string[] = [];
      for (const shift of truth.shifts) {
        const read = await readShiftLedger(redis, shift.facilityId, shift.shiftId);
        out.push(...diffShift(shift as ShiftTruth, read));
      }
      return out;
    };
    try {
      // the watch turns held closures into orphans on its next tick
      await waitFor(async () => (await differences()).length === 0, {
        what: 'the ledger to equal the ground truth',
        timeoutMs: 60_000,
      }).catch(() => undefined);
      expect(await differences()).toEqual([]);
      expect(truth.shifts.length).toBeGreaterThan(6);
      expect(truth.shifts.some((s) => !s.balanced)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});

describe('npm start', () => {
  it('runs the services and the simulator on given servers, prints alerts and the dashboard with a token, and stops cleanly on Ctrl-C', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'hbm-start-'));
    const topic = randomName('start-scans');
    const httpPort = await freePort();
    const run = runScript(
      'deploy/local/start.ts',
      [
        ...['--state-dir', stateDir, '--status-every', '2'],
        ...['--prefix', `ST${Date.now().toString(36).toUpperCase().slice(-5)}`, '--events', '4000'],
        ...['--speedup', '3000', '--duration', '24h', '--province', 'demo', '--round-the-clock'],
      ],
      {
        KAFKA_BROKERS: testBrokers(),
        REDIS_URL: await uniqueRedisUrl(),
        SCAN_TOPIC: topic,
        ALERTS_TOPIC: `${topic}-alerts`,
        SUMMARIES_TOPIC: `${topic}-summaries`,
        LEDGER_GROUP_ID: `${topic}-ledger`,
        HTTP_PORT: String(httpPort),
        LEDGER_METRICS_PORT: '0',
        WATCH_METRICS_PORT: '0',
        LAG_METRICS_PORT: '0',
        NOTIFIER_METRICS_PORT: '0',
        ORPHAN_WAIT_MINUTES: '1',
      },
    );
    const seen = (re: RegExp) => run.out.some((l) => re.test(l));
    try {
      await waitFor(() => seen(/^ALERT /) && seen(/^status: /), {
        what: 'alert and status lines from npm start',
        timeoutMs: 240_000,
        failIf: () =>
          run.child.exitCode === null && run.child.signalCode === null
            ? undefined
            : `npm start exited (${run.child.exitCode ?? run.child.signalCode})`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${run.out.slice(-60).join('\n')}`);
      });
    } finally {
      run.child.kill('SIGINT');
    }
    const code = await run.exited;
    const output = run.out.join('\n');
    expect({ code, tail: code === 0 ? '' : run.out.slice(-40).join('\n') }).toEqual({ code: 0, tail: '' });
    expect(output).toContain('Using Kafka');
    const dashboard = /Dashboard: http:\/\/localhost:(\d+)\/ {2}token: ([0-9a-f]{64})/.exec(output);
    expect(dashboard?.[1]).toBe(String(httpPort));
    const tokens = JSON.parse(readFileSync(join(stateDir, 'tokens.json'), 'utf8')) as {
      tokens: { sha256: string; role: string; facilities: string[] }[];
    };
    const { createHash } = await import('node:crypto');
    expect(tokens.tokens[0].sha256).toBe(
      createHash('sha256')
        .update(dashboard?.[2] ?? '')
        .digest('hex'),
    );
    expect(output).toMatch(/ALERT FIRING +(critical|warning) [A-Z_]+ ST/);
    expect(output).toMatch(/simulator stopped|simulate: (done|stopped)/);
    expect(output).toContain('stopped cleanly');
  });
});
