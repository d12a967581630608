/**
 * `npm run simulate -- [options]` (`--help` lists them): a province's postal day with injected faults,
 * sent to the scan topic at a chosen rate and speed-up; the ground truth of what was sent goes to
 * `--truth`. Progress on stderr every second. Ctrl-C (or SIGTERM): the batch in flight is sent, the
 * truth of what was sent is written, exit 0. Exit codes: 0 done, 1 failure, 64 bad options, 78 bad
 * environment.
 */
import { ConfigError } from '@app/config';

import { HelpRequested, isUsageProblem, parseSimulatorArgs, type SimulatorConfig } from './simulate.config';
import { Simulator, writeTruth, type Progress } from './simulator';

const FAULT_LABELS: Record<string, string> = {
  LOST_RECEIPT: 'lost receipt',
  MISSING_FEEDBACK: 'no feedback',
  ORPHAN_CLOSURE: 'orphan',
  UNCONSENTED_DELIVERY: 'unconsented',
  DOUBLE_SCAN: 'double scan',
  DOUBLE_CLOSURE: 'double closure',
  RESENT: 'resent',
  REORDERED: 'reordered',
  BAD_MESSAGE: 'bad',
};

function progressLine(p: Progress, config: SimulatorConfig): string {
  const faults = Object.entries(p.byFault)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${FAULT_LABELS[kind] ?? kind} ${n}`)
    .join(', ');
  return (
    `simulate: sent ${p.sent.toLocaleString('en')} (${Math.round(p.rate)}/s) | ` +
    `simulated ${p.simulatedClock.slice(0, 16).replace('T', ' ')}Z x${config.speedup} ${(p.done * 100).toFixed(0)}% | ` +
    `faults ${p.faults}${faults ? ` (${faults})` : ''}`
  );
}

async function main(): Promise<number> {
  let config: SimulatorConfig;
  try {
    config = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return 0;
    }
    if (error instanceof ConfigError) {
      console.error(`simulate: ${error.message}\n(npm run simulate -- --help lists the options)`);
      return error.problems.some(isUsageProblem) ? 64 : 78;
    }
    throw error;
  }
  const say = (line: string) => process.stderr.write(`simulate: ${line}\n`);
  const report = (p: Progress) => {
    if (config.progress === 'text') process.stderr.write(progressLine(p, config) + '\n');
    else if (config.progress === 'json') process.stderr.write(JSON.stringify({ progress: p }) + '\n');
  };
  const simulator = new Simulator(config, report, say);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      say(`${signal} again: exiting without the truth file`);
      process.exit(130);
    }
    say(`${signal}: sending the batch in flight, then writing the truth of what was sent ...`);
    simulator.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const truth = await simulator.run();
  writeTruth(config.truthFile, truth);
  const bad = Object.values(truth.messages.deadLetters).reduce((a, b) => a + b, 0);
  say(
    `${truth.run.completed ? 'done' : 'stopped'}: ${truth.messages.sent.toLocaleString('en')} events sent (${bad} to be dead-lettered), ` +
      `${truth.shifts.length} shifts, ${truth.shifts.filter((s) => !s.balanced).length} unbalanced; truth in ${config.truthFile}`,
  );
  if (truth.selfCheck.generatorAgrees === false) {
    say(
      `WARNING: the generator's count of the day differs from the reading of what was sent:\n  ${truth.selfCheck.differences.join('\n  ')}`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`simulate: ${error.message}`);
    process.exit(1);
  },
);
