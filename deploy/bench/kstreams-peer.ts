/**
 * (7): the peer a JVM team would pick. A Kafka Streams 4.1.1 application (deploy/bench/kstreams-peer,
 * built here with Maven from Maven Central) that counts scan events per (owner facility, shift, scan
 * type) in a RocksDB-backed store with exactly_once_v2, on the bench's broker.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { BenchProcess } from './processes';
import type { Progress } from './progress';

const dir = path.resolve(__dirname, 'kstreams-peer');
const jar = path.join(dir, 'target', 'kstreams-peer.jar');

function newestSource(): number {
  const times: number[] = [fs.statSync(path.join(dir, 'pom.xml')).mtimeMs];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else times.push(fs.statSync(file).mtimeMs);
    }
  };
  walk(path.join(dir, 'src'));
  return Math.max(...times);
}

/** Builds the peer unless its jar is newer than its sources; returns its class path. */
export function buildKStreamsPeer(progress: Progress): string {
  if (!fs.existsSync(jar) || fs.statSync(jar).mtimeMs < newestSource()) {
    progress.line('(7) building the Kafka Streams peer with Maven');
    execFileSync('mvn', ['-q', '-B', 'package', '-DskipTests'], {
      cwd: dir,
      stdio: 'pipe',
      timeout: 600_000,
    });
  }
  const lib = path.join(dir, 'target', 'lib');
  return [jar, ...fs.readdirSync(lib).map((f) => path.join(lib, f))].join(path.delimiter);
}

/** The peer as a process consuming `topic` from its start under the consumer group `applicationId`. */
export function kstreamsPeer(
  classPath: string,
  env: { brokers: string; topic: string; applicationId: string; stateDir: string },
): BenchProcess {
  fs.mkdirSync(env.stateDir, { recursive: true });
  return new BenchProcess(
    'kstreams-peer',
    { command: 'java', args: ['-Xmx1g', '-cp', classPath, 'bench.CountPeer'] },
    {
      ...process.env,
      BOOTSTRAP: env.brokers,
      TOPIC: env.topic,
      APPLICATION_ID: env.applicationId,
      STATE_DIR: env.stateDir,
    },
  );
}
