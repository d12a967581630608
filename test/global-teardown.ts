/**
 * Stops the run's Kafka and Redis, and any server a test started under the run root, whether the
 * tests passed or not. Found through the run file global-setup.ts wrote for this jest process.
 */
import * as fs from 'fs';

import { runFileOf, stopEverythingUnder, TestRun } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const runFile = process.env.HBM_TEST_RUN_FILE ?? runFileOf(process.pid);
  let run: TestRun;
  try {
    run = JSON.parse(fs.readFileSync(runFile, 'utf8')) as TestRun;
  } catch {
    return; // the setup failed and cleaned up after itself
  }
  const keep = process.env.HBM_KEEP_TEST_DATA === '1';
  await stopEverythingUnder(run.root, keep);
  fs.rmSync(runFile, { force: true });
  if (keep) process.stdout.write(`Integration infra stopped; data and logs kept in ${run.root}\n`);
}
