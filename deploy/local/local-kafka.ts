/**
 * A single-node Apache Kafka (KRaft, broker and controller in one JVM) without Docker: the jars come
 * from Maven Central (deploy/local/pom.xml) into a cache outside the repository, and the broker runs
 * as a detached `java` process whose pid file, config, logs and data all live in one data dir.
 *
 * Data dir layout: server.properties, kafka.pid, kafka.log (log4j, WARN), kafka.out (JVM stdout and
 * stderr), data/ (log.dirs, formatted once: meta.properties marks it).
 */
import { execFile, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

import { Kafka, logLevel } from 'kafkajs';

import {
  findExecutable,
  isRunning,
  killHard,
  readPidFile,
  removeFile,
  sleep,
  tailOf,
  terminate,
  trackedPid,
  writePidFile,
} from './local-process';
import { assertPortFree } from './ports';

/** Keep equal to kafka.version in pom.xml. */
export const KAFKA_VERSION = '4.1.1';

const POM_FILE = path.join(__dirname, 'pom.xml');
const LOG4J_FILE = path.join(__dirname, 'log4j2.xml');
const MAIN_CLASS = 'kafka.Kafka';
const STOP_GRACE_MS = 20_000;
const MAVEN_TIMEOUT_MS = 10 * 60_000;
const INSTALL_LOCK_WAIT_MS = 10 * 60_000;

const execFileAsync = promisify(execFile);

export interface LocalKafka {
  /** bootstrap servers, `host:port` */
  brokers: string;
  pid: number;
  dataDir: string;
  port: number;
  controllerPort: number;
  version: string;
  logFile: string;
  /** true when an already running broker was adopted instead of started */
  reused: boolean;
  stop(): Promise<void>;
}

export interface KafkaStartOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
  /** how long to wait for the broker to answer (default 90 s) */
  timeoutMs?: number;
}

interface KafkaFiles {
  properties: string;
  pidFile: string;
  logFile: string;
  outFile: string;
  logDirs: string;
}

function kafkaFiles(dataDir: string): KafkaFiles {
  return {
    properties: path.join(dataDir, 'server.properties'),
    pidFile: path.join(dataDir, 'kafka.pid'),
    logFile: path.join(dataDir, 'kafka.log'),
    outFile: path.join(dataDir, 'kafka.out'),
    logDirs: path.join(dataDir, 'data'),
  };
}

/** `$HBM_CACHE_DIR/kafka-<version>`, by default under ~/.cache/handover-balance. */
export function kafkaCacheDir(): string {
  const root = process.env.HBM_CACHE_DIR || path.join(os.homedir(), '.cache', 'handover-balance');
  return path.join(root, `kafka-${KAFKA_VERSION}`);
}

interface InstallMarker {
  pomSha256: string;
  jars: string[];
}

const MARKER = '.installed.json';

function pomSha256(): string {
  return createHash('sha256').update(fs.readFileSync(POM_FILE)).digest('hex');
}

function isInstalled(libsDir: string, pomHash: string): boolean {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(libsDir, MARKER), 'utf8')) as InstallMarker;
    return (
      marker.pomSha256 === pomHash &&
      marker.jars.length > 0 &&
      marker.jars.every((jar) => fs.existsSync(path.join(libsDir, jar)))
    );
  } catch {
    return false;
  }
}

function requireExecutable(name: string, hint: string): string {
  const found = findExecutable(name);
  if (!found) throw new Error(`${name} not found on PATH: ${hint}`);
  return found;
}

/**
 * The directory holding Kafka's runtime jars (use it as `-cp 'DIR/*'`). Runs Maven only when the cache
 * is missing, incomplete or built from another pom. Concurrent callers (parallel jest runs, `npm start`
 * beside `npm run infra`) serialize on a lock file; the jars appear by one atomic rename, so a reader
 * never sees a half-copied directory.
 */
export async function ensureKafkaInstalled(): Promise<string> {
  const cacheDir = kafkaCacheDir();
  const libsDir = path.join(cacheDir, 'libs');
  const pomHash = pomSha256();
  if (isInstalled(libsDir, pomHash)) return libsDir;

  requireExecutable(
    'java',
    'install Java 17 or newer (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)',
  );
  const mvn = requireExecutable('mvn', 'install Maven (Debian/Ubuntu: apt-get install -y maven)');
  fs.mkdirSync(cacheDir, { recursive: true });

  const release = await acquireLock(path.join(cacheDir, 'install.lock'));
  try {
    if (isInstalled(libsDir, pomHash)) return libsDir;
    const workDir = fs.mkdtempSync(path.join(cacheDir, 'install-'));
    try {
      fs.copyFileSync(POM_FILE, path.join(workDir, 'pom.xml'));
      const outDir = path.join(workDir, 'libs');
      try {
        await execFileAsync(
          mvn,
          [
            '-q',
            '-B',
            '-f',
            path.join(workDir, 'pom.xml'),
            'dependency:copy-dependencies',
            '-DincludeScope=runtime',
            `-DoutputDirectory=${outDir}`,
          ],
          { cwd: workDir, timeout: MAVEN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        );
      } catch (error) {
        const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
        const output = `${stdout ?? ''}${stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
        throw new Error(
          `Maven could not fetch Kafka ${KAFKA_VERSION} from Maven Central (${message.split('\n')[0]}):\n${output}`,
        );
      }
      const jars = fs.readdirSync(outDir).filter((name) => name.endsWith('.jar'));
      if (!jars.some((jar) => jar.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
        throw new Error(`Maven finished but ${outDir} holds no kafka_2.13-${KAFKA_VERSION}.jar`);
      }
      const marker: InstallMarker = { pomSha256: pomHash, jars };
      fs.writeFileSync(path.join(outDir, MARKER), JSON.stringify(marker, null, 2));
      if (fs.existsSync(libsDir)) fs.renameSync(libsDir, path.join(workDir, 'stale-libs'));
      fs.renameSync(outDir, libsDir);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    return libsDir;
  } finally {
    release();
  }
}

/** An exclusive lock file naming its holder; a lock whose holder died is taken over. */
async function acquireLock(lockFile: string): Promise<() => void> {
  const deadline = Date.now() + INSTALL_LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return () => removeFile(lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPidFile(lockFile);
    if (holder === undefined || !isRunning(holder)) {
      // Stale (holder crashed) or still being written: remove only if it is still the same file.
      await sleep(100);
      if (readPidFile(lockFile) === holder) removeFile(lockFile);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`gave up waiting for ${lockFile}: process ${holder} has held it for 10 minutes`);
    }
    await sleep(250);
  }
}

function serverProperties(opts: KafkaStartOptions, files: KafkaFiles): string {
  const host = '127.0.0.1';
  return [
    '# Written by deploy/local/local-kafka.ts at every start; edits here are lost.',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://${host}:${opts.port},CONTROLLER://${host}:${opts.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${opts.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `controller.quorum.bootstrap.servers=${host}:${opts.controllerPort}`,
    `log.dirs=${files.logDirs}`,
    // one node: every internal topic has a single replica
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'group.initial.rebalance.delay.ms=0',
    // After a SIGKILL the broker cannot register again until its old session expires (default 9 s);
    // fault tests kill and restart it, so keep that short. One node: no peer to fence it wrongly.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=500',
    // topics are created on purpose (topic names live in the contracts lib), never by a typo
    'auto.create.topics.enable=false',
    'num.partitions=1',
    '',
  ].join('\n');
}

function propertyOf(file: string, key: string): string | undefined {
  try {
    const line = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key}=`));
    return line?.slice(key.length + 1).trim();
  } catch {
    return undefined;
  }
}

function portsOf(file: string): { port?: number; controllerPort?: number } {
  const listeners = propertyOf(file, 'listeners') ?? '';
  const portOf = (name: string) => {
    const match = new RegExp(`${name}://[^,]*:(\\d+)`).exec(listeners);
    return match ? Number(match[1]) : undefined;
  };
  return { port: portOf('PLAINTEXT'), controllerPort: portOf('CONTROLLER') };
}

function javaArgs(classpath: string, files: KafkaFiles): string[] {
  return [
    '-Xmx512m',
    '-Xms256m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_FILE}`,
    `-Dhbm.kafka.log=${files.logFile}`,
    '-cp',
    path.join(classpath, '*'),
  ];
}

function runningKafkaPid(dataDir: string): number | undefined {
  const files = kafkaFiles(dataDir);
  return trackedPid(files.pidFile, (cmd) => cmd.includes(MAIN_CLASS) && cmd.includes(files.properties));
}

/** The pid of the broker running from this data dir, if any. */
export function kafkaPid(dataDir: string): number | undefined {
  return runningKafkaPid(path.resolve(dataDir));
}

async function formatIfNeeded(classpath: string, files: KafkaFiles): Promise<void> {
  if (fs.existsSync(path.join(files.logDirs, 'meta.properties'))) return;
  const java = requireExecutable('java', 'install Java 17 or newer');
  const args = javaArgs(classpath, files);
  try {
    const { stdout } = await execFileAsync(java, [...args, 'kafka.tools.StorageTool', 'random-uuid'], {
      timeout: 60_000,
    });
    const clusterId = stdout.trim();
    await execFileAsync(
      java,
      [...args, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', files.properties],
      { timeout: 60_000 },
    );
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `formatting ${files.logDirs} for KRaft failed: ${message}\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

/** Resolves once a kafkajs admin `describeCluster()` succeeds; rejects early when the process dies. */
async function waitUntilAnswering(
  brokers: string,
  pid: number,
  files: KafkaFiles,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    const exit = exited() ?? (isRunning(pid) ? undefined : 'exited');
    if (exit) {
      throw new Error(
        `Kafka (pid ${pid}) ${exit} before answering on ${brokers}\n${tailOf([files.logFile, files.outFile])}`,
      );
    }
    const kafka = new Kafka({
      clientId: 'local-kafka-probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = 'cluster has no broker or controller yet';
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Kafka (pid ${pid}) did not answer on ${brokers} within ${timeoutMs} ms (last error: ${lastError})\n` +
          tailOf([files.logFile, files.outFile]),
      );
    }
    await sleep(200);
  }
}

function handle(opts: KafkaStartOptions, pid: number, reused: boolean): LocalKafka {
  const dataDir = path.resolve(opts.dataDir);
  return {
    brokers: `127.0.0.1:${opts.port}`,
    pid,
    dataDir,
    port: opts.port,
    controllerPort: opts.controllerPort,
    version: KAFKA_VERSION,
    logFile: kafkaFiles(dataDir).logFile,
    reused,
    stop: () => stopKafka(dataDir),
  };
}

/**
 * Starts Kafka on 127.0.0.1 from this data dir, or adopts the broker already running from it (same
 * ports required). Formats the dir only when it was never formatted, so a restart keeps topics,
 * offsets and committed group offsets. Restart with the same ports: the controller's address is
 * written into the metadata log at format time.
 */
export async function startKafka(opts: KafkaStartOptions): Promise<LocalKafka> {
  const dataDir = path.resolve(opts.dataDir);
  const files = kafkaFiles(dataDir);
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const brokers = `127.0.0.1:${opts.port}`;
  fs.mkdirSync(dataDir, { recursive: true });

  const running = runningKafkaPid(dataDir);
  if (running !== undefined) {
    const current = portsOf(files.properties);
    if (current.port !== opts.port || current.controllerPort !== opts.controllerPort) {
      throw new Error(
        `Kafka (pid ${running}) already runs from ${dataDir} on ports ${current.port}/${current.controllerPort}, ` +
          `not ${opts.port}/${opts.controllerPort}: stop it first`,
      );
    }
    await waitUntilAnswering(brokers, running, files, timeoutMs, () => undefined);
    return handle(opts, running, true);
  }
  removeFile(files.pidFile);

  const classpath = await ensureKafkaInstalled();
  await assertPortFree(opts.port, 'the Kafka broker');
  await assertPortFree(opts.controllerPort, 'the Kafka controller');
  fs.writeFileSync(files.properties, serverProperties(opts, files));
  await formatIfNeeded(classpath, files);

  const java = requireExecutable('java', 'install Java 17 or newer');
  const out = fs.openSync(files.outFile, 'a');
  let exitReason: string | undefined;
  try {
    const child = spawn(java, [...javaArgs(classpath, files), MAIN_CLASS, files.properties], {
      cwd: dataDir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${java}`);
    child.on('error', (error) => (exitReason = `failed to run: ${error.message}`));
    child.on('exit', (code, signal) => (exitReason = `exited with ${signal ?? `code ${code}`}`));
    child.unref();
    writePidFile(files.pidFile, child.pid);
    try {
      await waitUntilAnswering(brokers, child.pid, files, timeoutMs, () => exitReason);
    } catch (error) {
      if (isRunning(child.pid)) await killHard(child.pid);
      removeFile(files.pidFile);
      throw error;
    }
    return handle(opts, child.pid, false);
  } finally {
    fs.closeSync(out);
  }
}

/** SIGTERM, up to 20 s for a controlled shutdown, then SIGKILL. No-op when nothing runs there. */
export async function stopKafka(dataDir: string): Promise<void> {
  const files = kafkaFiles(path.resolve(dataDir));
  const pid = runningKafkaPid(path.resolve(dataDir));
  if (pid !== undefined) await terminate(pid, STOP_GRACE_MS);
  removeFile(files.pidFile);
}

/** SIGKILL, for fault tests: no controlled shutdown, the next start runs log recovery. */
export async function killKafka(dataDir: string): Promise<void> {
  const files = kafkaFiles(path.resolve(dataDir));
  const pid = runningKafkaPid(path.resolve(dataDir));
  if (pid !== undefined) await killHard(pid);
  removeFile(files.pidFile);
}

/** Stops (or finds stopped) the broker of this data dir and starts it again on the same data. */
export async function restartKafka(opts: KafkaStartOptions): Promise<LocalKafka> {
  await stopKafka(opts.dataDir);
  return startKafka(opts);
}

/** One quick `describeCluster()`: true when a broker answers at these bootstrap servers. */
export async function kafkaAnswers(brokers: string, timeoutMs = 3_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'local-kafka-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
