/**
 * `npm start [-- --no-simulator] [-- simulator options]`: the whole system on one machine. With
 * KAFKA_BROKERS and REDIS_URL unset it starts (or reuses) a local Kafka and Redis under .local/; with
 * both set it uses those and starts none. It runs every service (ledger, watch, api, notifier,
 * lag-monitor) and the simulator (deploy/simulate), prints alerts as they fire, a status line now and
 * then, and the dashboard URL with a demo token. Ctrl-C stops the simulator (which writes its truth),
 * then the services (SIGTERM: each finishes its batch and commits), then the servers it started.
 *
 * Own options: --no-simulator; --state-dir DIR (default .local: tokens.json, facilities.json, logs/,
 * simulation-truth.json); --status-every SECONDS (default 10). Every other option goes to the
 * simulator (`npm run simulate -- --help`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { z } from 'zod';

import { ConfigError, env as envOf, parseEnv } from '@app/config';
import { DefaultTopic } from '@app/contracts';
import { calendarWithNetwork } from '@app/simulation';

import {
  HelpRequested,
  isUsageProblem,
  parseSimulatorArgs,
  readCalendarFile,
  USAGE as SIMULATOR_USAGE,
  type SimulatorConfig,
} from '../simulate/simulate.config';
import { simulationSetting, writeCalendar } from '../simulate/simulator';

import { startDevInfra } from './cli';
import { HelpRequested as StartHelpRequested, numberOption, parseOrExit, UsageError } from './cli-args';

const root = resolve(__dirname, '..', '..');
const SERVICES = ['ledger', 'watch', 'api', 'notifier', 'lag-monitor'] as const;
const STOP_GRACE_MS = 35_000;
const KAFKAJS_RETRIED =
  /does not host this topic-partition|not the leader|Topic creation errors|leader not available|coordinator is (loading|not available)|Limiting retries/i;

/** What npm start reads from the environment (the services read the rest themselves). */
const StartEnv = z.object({
  KAFKA_BROKERS: envOf.optionalString(),
  REDIS_URL: envOf.optionalString(),
  ALERTS_TOPIC: envOf.string(DefaultTopic.alerts),
  HTTP_PORT: envOf.int(3000, 0, 65_535),
  FACILITIES_FILE: envOf.string('deploy/config/facilities.json'),
  LEDGER_METRICS_PORT: envOf.int(9464, 0, 65_535),
  WATCH_METRICS_PORT: envOf.int(9465, 0, 65_535),
});

interface StartArgs {
  simulator: boolean;
  stateDir: string;
  statusEveryMs: number;
  simulatorArgs: string[];
}

const USAGE = `npm start -- [--no-simulator] [--state-dir DIR] [--status-every SECONDS] [simulator options]

Runs every service and the simulator on the local Kafka and Redis (started under .local/ when
KAFKA_BROKERS and REDIS_URL are unset) or on those of KAFKA_BROKERS and REDIS_URL.

  --no-simulator           run without the simulator (feed it with npm run produce)
  --state-dir DIR          tokens.json, facilities.json, logs/, simulation-truth.json (default .local)
  --status-every SECONDS   a status line this often, >= 1 (default 10)
  -h, --help

Every other option goes to the simulator:

${SIMULATOR_USAGE}`;

const START_OPTIONS = {
  'no-simulator': { type: 'boolean' },
  'state-dir': { type: 'string' },
  'status-every': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * npm start's own options; every other argument is kept, in order, for the simulator. parseArgs runs
 * with strict: false here only because those are not npm start's to know: parseSimulatorArgs parses
 * them strictly before anything starts, and with --no-simulator any of them is an error.
 */
function parseStartArgs(argv: readonly string[]): StartArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    options: START_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: StartArgs = {
    simulator: true,
    stateDir: join(root, '.local'),
    statusEveryMs: 10_000,
    simulatorArgs: [],
  };
  const own = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') break; // what follows `--` is the simulator's
    if (token.kind !== 'option' || !Object.hasOwn(START_OPTIONS, token.name)) continue;
    own.add(token.index);
    const name = token.name as keyof typeof START_OPTIONS;
    if (name === 'help') throw new StartHelpRequested();
    if (name === 'no-simulator') {
      if (token.value !== undefined)
        throw new UsageError(`Option '--no-simulator' does not take an argument`);
      out.simulator = false;
      continue;
    }
    const value = token.value;
    if (value === undefined) throw new UsageError(`Option '--${name} <value>' argument missing`);
    if (!token.inlineValue) {
      if (value.startsWith('-'))
        throw new UsageError(
          `--${name}: wants a value, got option ${value} (--${name}=${value} if it is one)`,
        );
      own.add(token.index + 1);
    }
    if (name === 'state-dir') out.stateDir = resolve(value);
    else out.statusEveryMs = numberOption(value, name, 10, { min: 1 }) * 1000;
  }
  out.simulatorArgs = argv.filter((_, i) => !own.has(i));
  if (!out.simulator && out.simulatorArgs.length > 0)
    throw new UsageError(`unknown options with --no-simulator: ${out.simulatorArgs.join(' ')}`);
  return out;
}

/**
 * The simulator's options, checked as `npm run simulate` checks them; a mistake in them is a
 * UsageError on one line (a problem with the environment stays a ConfigError).
 */
function simulatorConfig(args: readonly string[]): SimulatorConfig {
  try {
    return parseSimulatorArgs(args, process.env);
  } catch (error) {
    if (error instanceof ConfigError && error.problems.every(isUsageProblem))
      throw new UsageError(error.problems.join('; '));
    throw error;
  }
}

interface Running {
  name: string;
  child: ChildProcess;
  exited: Promise<number>;
  done: boolean;
}

async function main(): Promise<number> {
  const cli = { name: 'npm start', usage: USAGE };
  const args = parseOrExit(cli, () => parseStartArgs(process.argv.slice(2)));
  const settings = parseEnv(StartEnv, process.env);
  const env: NodeJS.ProcessEnv = { ...process.env };
  mkdirSync(join(args.stateDir, 'logs'), { recursive: true });

  // The simulator's options first: a mistake there should stop us before anything starts.
  let simulatorArgs: string[] = [];
  if (args.simulator) {
    simulatorArgs = [...args.simulatorArgs];
    const given = (name: string) => simulatorArgs.some((a) => a === name || a.startsWith(`${name}=`));
    if (!given('--truth')) simulatorArgs.push('--truth', join(args.stateDir, 'simulation-truth.json'));
    const config = parseOrExit(cli, () => simulatorConfig(simulatorArgs));
    if (!given('--seed')) simulatorArgs.push('--seed', String(config.seed));
    // The services must know the simulated facilities (their station shifts) from the start.
    const { network } = simulationSetting({ ...config, writeCalendar: null });
    const calendarFile = join(args.stateDir, 'facilities.json');
    writeCalendar(calendarFile, calendarWithNetwork(readCalendarFile(settings.FACILITIES_FILE), network));
    env.FACILITIES_FILE = calendarFile;
  }

  let stopInfra: (() => Promise<void>) | undefined;
  if (settings.KAFKA_BROKERS && settings.REDIS_URL) {
    console.log(
      `Using Kafka ${settings.KAFKA_BROKERS} and Redis ${settings.REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}`,
    );
  } else {
    if (settings.KAFKA_BROKERS || settings.REDIS_URL) {
      throw new ConfigError([
        'set both KAFKA_BROKERS and REDIS_URL to use your own servers, or neither to run local ones',
      ]);
    }
    console.log(
      'KAFKA_BROKERS and REDIS_URL are not set: starting a local Kafka and Redis under .local/ ...',
    );
    const infra = await startDevInfra();
    env.KAFKA_BROKERS = infra.kafka.brokers;
    env.REDIS_URL = infra.redis.url;
    console.log(
      `  Kafka ${infra.kafka.version} at ${infra.kafka.brokers} (${infra.kafka.reused ? 'reused' : 'started'}), log ${infra.kafka.logFile}`,
    );
    console.log(
      `  Redis ${infra.redis.version} at ${infra.redis.url} (${infra.redis.reused ? 'reused' : 'started'}), log ${infra.redis.logFile}`,
    );
    stopInfra = async () => {
      if (!infra.kafka.reused) await infra.kafka.stop();
      if (!infra.redis.reused) await infra.redis.stop();
      console.log(
        infra.kafka.reused && infra.redis.reused
          ? 'left the local Kafka and Redis running (they were running before)'
          : 'stopped the local Kafka and Redis (data kept in .local/)',
      );
    };
  }

  // A demo token for the dashboard: admin over every facility, in a tokens file of our own.
  const token = randomBytes(32).toString('hex');
  const tokensFile = join(args.stateDir, 'tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify(
      {
        tokens: [
          {
            name: 'npm-start-demo',
            sha256: createHash('sha256').update(token).digest('hex'),
            role: 'admin',
            facilities: ['*'],
          },
        ],
      },
      null,
      2,
    ) + '\n',
    { mode: 0o600 },
  );
  env.TOKENS_FILE = tokensFile;

  const logDir = join(args.stateDir, 'logs');
  const running: Running[] = [];
  for (const name of SERVICES) {
    const main = join(root, 'apps', name, 'src', 'main.ts');
    if (!existsSync(main)) {
      console.log(`WARNING: apps/${name}/src/main.ts does not exist: ${name} not started`);
      continue;
    }
    running.push(spawnService(name, `apps/${name}/src/main.ts`, [], env, join(logDir, `${name}.log`)));
  }

  let stopping = false;
  let failure = 0;
  const alerts = new AlertPrinter(env.KAFKA_BROKERS as string, settings.ALERTS_TOPIC);
  let simulator: Running | undefined;
  let progress: { sent: number; rate: number; simulatedClock: string; done: number; faults: number } | null =
    null;
  let simulatorDone = false;

  let markFinished: () => void = () => undefined;
  const finished = new Promise<void>((done) => (markFinished = done));
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(statusTimer);
    console.log(`\n${why}: stopping ...`);
    if (simulator && !simulator.done) {
      simulator.child.kill('SIGINT');
      await waitOrKill(simulator, 30_000);
    }
    for (const s of running) if (!s.done) s.child.kill('SIGTERM');
    await Promise.all(running.map((s) => waitOrKill(s, STOP_GRACE_MS)));
    await alerts.stop();
    if (stopInfra) await stopInfra();
    console.log(failure === 0 ? 'stopped cleanly' : 'stopped (after a failure, see above)');
    markFinished();
  };
  const onSignal = (signal: NodeJS.Signals) => void stop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (const s of running) {
    void s.exited.then((code) => {
      if (stopping) return;
      console.log(`ERROR: ${s.name} exited with code ${code} (log: ${join(logDir, `${s.name}.log`)})`);
      failure = 1;
      void stop(`${s.name} failed`);
    });
  }
  // whatever happens, no child of ours outlives us
  process.on('exit', () => {
    for (const s of [...running, ...(simulator ? [simulator] : [])]) if (!s.done) s.child.kill('SIGKILL');
  });
  const statusTimer = setInterval(() => {
    const sim = !args.simulator
      ? 'no simulator'
      : progress === null
        ? 'simulator starting'
        : `simulator ${simulatorDone ? 'done, ' : ''}sent ${progress.sent.toLocaleString('en')} events` +
          `${simulatorDone ? '' : ` (${Math.round(progress.rate)}/s, simulated ${progress.simulatedClock.slice(0, 16).replace('T', ' ')}Z, ${(progress.done * 100).toFixed(0)}%)`}` +
          `, ${progress.faults} faults injected`;
    console.log(`status: ${sim}; alerts firing ${alerts.firing.size} (${alerts.revisions} revisions seen)`);
  }, args.statusEveryMs);

  await alerts.start();
  if (stopping) {
    await finished;
    return failure;
  }

  const port = settings.HTTP_PORT;
  const bar = '='.repeat(100);
  console.log(`
${bar}
  Dashboard: http://localhost:${port}/  token: ${token}
${bar}
  Services (JSON logs in ${logDir}): ${running.map((s) => s.name).join(', ')}; alerts are printed here as they fire.
  Metrics: http://localhost:${settings.LEDGER_METRICS_PORT}/metrics (ledger), http://localhost:${settings.WATCH_METRICS_PORT}/metrics (watch), http://localhost:${port}/metrics (api)
  ${args.simulator ? `Simulator: npm run simulate ${simulatorArgs.join(' ')}` : 'No simulator (--no-simulator): feed it with npm run produce -- deploy/local/sample-scans.jsonl'}
  See a ledger: npm run ledger:show -- <facility id>        Stop: Ctrl-C
`);

  if (args.simulator) {
    simulator = spawnService(
      'simulator',
      'deploy/simulate/simulate.ts',
      [...simulatorArgs, '--progress', 'json'],
      env,
      join(logDir, 'simulator.log'),
      (line) => {
        const reported = progressOf(line);
        if (reported) progress = reported;
        else console.log(line);
      },
    );
    void simulator.exited.then((code) => {
      simulatorDone = true;
      if (!stopping && code !== 0) {
        console.log(`ERROR: the simulator exited with code ${code}`);
        failure = 1;
        void stop('simulator failed');
      } else if (!stopping) console.log('simulator done; the services keep running (Ctrl-C stops them)');
    });
  }
  await finished;
  return failure;
}

/** A child process of ours in a process group of its own, so a terminal's Ctrl-C reaches only us. */
function spawnService(
  name: string,
  script: string,
  extraArgs: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  onStderrLine?: (line: string) => void,
): Running {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['-r', './deploy/local/register.js', script, ...extraArgs], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = (handle: (line: string) => void) => {
    let rest = '';
    return (chunk: Buffer) => {
      log.write(chunk);
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line) handle(line);
    };
  };
  child.stdout?.on(
    'data',
    lines((line) => {
      const shown = worthShowing(line);
      if (shown) console.log(`${name}: ${shown}`);
    }),
  );
  child.stderr?.on('data', lines(onStderrLine ?? ((line) => console.log(`${name}: ${line}`))));
  const running: Running = {
    name,
    child,
    done: false,
    exited: new Promise<number>((done) =>
      child.on('exit', (code, signal) => {
        running.done = true;
        log.end();
        done(code ?? (signal ? 128 : 1));
      }),
    ),
  };
  return running;
}

async function waitOrKill(s: Running, graceMs: number): Promise<void> {
  if (s.done) return;
  const timer = setTimeout(() => {
    console.log(`${s.name} did not stop within ${graceMs / 1000} s: killing it`);
    s.child.kill('SIGKILL');
  }, graceMs);
  await s.exited;
  clearTimeout(timer);
}

/** A service's JSON log line, readable, if it is a warning or an error; start-up and shutdown lines too. */
function worthShowing(line: string): string | null {
  try {
    const { time, level, context, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const important =
      level === 'warn' || level === 'error' || /serving|started|stopp|shut/i.test(String(msg));
    // what kafkajs logs, and retries, while a fresh broker creates topics and elects leaders
    const retried = context === 'kafkajs' && KAFKAJS_RETRIED.test(`${String(msg)} ${String(fields.error)}`);
    if (!important || retried) return null;
    const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return `${String(time).slice(11, 19)} ${String(level).padEnd(5)} ${String(context)}: ${String(msg)}${rest}`;
  } catch {
    return line;
  }
}

const AlertLine = z.object({
  alertId: z.string(),
  kind: z.string(),
  status: z.string(),
  severity: z.string(),
  facilityId: z.string().nullable(),
  shiftId: z.string().nullable(),
  revision: z.number(),
  itemCount: z.number(),
  items: z.array(z.string()),
  text: z.string(),
});

/**
 * Prints alerts from now on, one line each: a new alert, a change of status, and further revisions of
 * a firing alert at most every 15 s (a replayed day changes its item lists many times a second).
 */
class AlertPrinter {
  readonly firing = new Set<string>();
  revisions = 0;
  private consumer: Consumer | undefined;
  private readonly last = new Map<string, { status: string; at: number; itemCount: number }>();

  constructor(
    private readonly brokers: string,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'hbm-start',
      brokers: this.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    await waitForTopic(kafka, this.topic);
    this.consumer = kafka.consumer({ groupId: `hbm-start-${process.pid}-${Date.now()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await this.consumer.run({ eachMessage: async ({ message }) => this.print(message.value) });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private print(value: Buffer | null): void {
    this.revisions++;
    let a: z.infer<typeof AlertLine>;
    try {
      a = AlertLine.parse(JSON.parse(value?.toString() ?? ''));
    } catch {
      console.log(`ALERT (unreadable) ${value?.toString().slice(0, 200)}`);
      return;
    }
    if (a.status === 'FIRING') this.firing.add(a.alertId);
    else this.firing.delete(a.alertId);
    const now = Date.now();
    const before = this.last.get(a.alertId);
    if (
      before &&
      before.status === a.status &&
      (now - before.at < 15_000 || before.itemCount === a.itemCount)
    )
      return;
    this.last.set(a.alertId, { status: a.status, at: now, itemCount: a.itemCount });
    const items = a.items.slice(0, 5).join(' ') + (a.itemCount > 5 ? ' ...' : '');
    console.log(
      `ALERT ${a.status.padEnd(8)} ${a.severity.padEnd(8)} ${a.kind} ${a.facilityId ?? '-'} ${a.shiftId ?? '-'} ` +
        `rev ${a.revision}: ${a.text}${items ? ` [${items}]` : ''}`,
    );
  }
}

/** The watch creates the alert topic when it starts; subscribing before that fails. */
async function waitForTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 240 && !(await admin.listTopics()).includes(topic); i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      process.exit(0);
    }
    console.error(`npm start: ${error.message}`);
    process.exit(error instanceof ConfigError ? 64 : 1);
  },
);

const SimulatorProgress = z.object({
  progress: z.object({
    sent: z.number(),
    rate: z.number(),
    simulatedClock: z.string(),
    done: z.number(),
    faults: z.number(),
  }),
});

/** The simulator's `--progress json` line, or undefined for any other line it prints. */
function progressOf(line: string): z.infer<typeof SimulatorProgress>['progress'] | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = SimulatorProgress.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data.progress : undefined;
  } catch {
    return undefined;
  }
}
