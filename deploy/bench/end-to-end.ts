/**
 * (3) and (6): consumer processes (the ledger, or the naive peer) started with a fresh group id and a
 * fresh Redis database, consuming the benchmark topic from its earliest offset. The rate is read from
 * the group's committed offsets (each consumer commits only what Redis has applied), sampled every
 * 250 ms: from the first sample with every process in the group and something committed, to the
 * first one with everything committed (or the time cap). CPU seconds of every process over the same
 * window show where the machine's two cores went.
 */
import type { Admin } from 'kafkajs';

import { cpuSeconds, machineCpu, type BenchProcess } from './processes';
import { fmt, sleep, type Progress } from './progress';

export interface EndToEndResult {
  processes: number;
  /** events committed inside the window */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** all of the topic was committed (false: the time cap ended the window) */
  complete: boolean;
  /** the window began before every process had joined (the topic was too small to wait) */
  windowNote?: string;
  /** cores used over the window, by process ("ledger-1", "redis", "kafka") and for the whole machine */
  cores: Record<string, number | null>;
  /** when the window began, ms after the processes were started */
  windowStartMs: number;
  /** Redis command time per event, µs, from INFO commandstats (null when not measured) */
  redisMicrosPerEvent: number | null;
}

export async function committedSum(admin: Admin, groupId: string, topic: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function membersOf(admin: Admin, groupId: string): Promise<number> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0];
  return g && g.state === 'Stable' ? g.members.length : 0;
}

export async function measureEndToEnd(options: {
  label: string;
  admin: Admin;
  groupId: string;
  topic: string;
  events: number;
  start: () => BenchProcess[];
  /** servers to account CPU time to */
  serverPids: Record<string, number | undefined>;
  redisCommandMicros: () => Promise<number | null>;
  maxSeconds: number;
  progress: Progress;
}): Promise<EndToEndResult> {
  const { admin, groupId, topic, events, progress, label } = options;
  const processes = options.start();
  const cpuOf = () => {
    const out: Record<string, number | null> = {};
    processes.forEach((p, i) => (out[`${p.name}-${i + 1}`] = cpuSeconds(p.pid)));
    for (const [name, pid] of Object.entries(options.serverPids)) out[name] = cpuSeconds(pid);
    return out;
  };
  try {
    const startedAt = Date.now();
    const startCpu = cpuOf();
    const startMachine = machineCpu();
    const startMicros = await options.redisCommandMicros();
    let window:
      | {
          at: number;
          committed: number;
          cpu: Record<string, number | null>;
          machine: ReturnType<typeof machineCpu>;
          redisMicros: number | null;
        }
      | undefined;
    let windowNote: string | undefined;
    let last = { at: Date.now(), committed: 0 };
    let allJoined = false;
    for (;;) {
      for (const p of processes) {
        if (p.exitStatus) throw new Error(`${p.name} ${p.exitStatus} during ${label}:\n${p.tail()}`);
      }
      const committed = await committedSum(admin, groupId, topic);
      const at = Date.now();
      if (!allJoined) allJoined = (await membersOf(admin, groupId)) >= processes.length;
      if (!window && committed > 0 && (allJoined || committed >= events)) {
        if (committed >= events) {
          // all of it in the first sample: nothing to time but from the start, start-up included
          windowNote = 'all committed by the first sample: timed from process start, start-up included';
          window = {
            at: startedAt,
            committed: 0,
            cpu: startCpu,
            machine: startMachine,
            redisMicros: startMicros,
          };
        } else if (!allJoined)
          windowNote = 'the topic was consumed before every process had joined the group';
        window ??= {
          at,
          committed,
          cpu: cpuOf(),
          machine: machineCpu(),
          redisMicros: await options.redisCommandMicros(),
        };
      }
      last = { at, committed };
      progress.throttled(`${label}: ${fmt(committed)}/${fmt(events)} committed`);
      if (committed >= events) break;
      if (window && (at - window.at) / 1000 >= options.maxSeconds) break;
      if ((at - startedAt) / 1000 > options.maxSeconds + 180)
        throw new Error(
          `${label}: nothing measurable within ${options.maxSeconds + 180} s:\n${processes[0].tail()}`,
        );
      await sleep(250);
    }
    const w = window ?? { at: startedAt, committed: 0, cpu: cpuOf(), machine: null, redisMicros: null };
    const seconds = (last.at - w.at) / 1000;
    const counted = last.committed - w.committed;
    // everything was committed in the first sample: the rate is not measurable, say so rather than guess
    const eventsPerSecond = seconds > 0 ? counted / seconds : 0;
    const cpuNow = cpuOf();
    const cores: Record<string, number | null> = {};
    for (const [name, value] of Object.entries(cpuNow)) {
      const before = w.cpu[name];
      cores[name] = value !== null && before !== null && seconds > 0 ? (value - before) / seconds : null;
    }
    const machineNow = machineCpu();
    cores.machine =
      machineNow && w.machine && seconds > 0 ? (machineNow.busy - w.machine.busy) / seconds : null;
    const micros = await options.redisCommandMicros();
    const redisMicrosPerEvent =
      micros !== null && w.redisMicros !== null && counted > 0 ? (micros - w.redisMicros) / counted : null;
    progress.line(
      `${label}: ${fmt(counted)} events in ${seconds.toFixed(1)} s, ${fmt(eventsPerSecond)} events/s` +
        (last.committed >= events ? '' : ' (time cap reached)'),
    );
    return {
      processes: processes.length,
      events: counted,
      seconds,
      eventsPerSecond,
      complete: last.committed >= events,
      windowStartMs: w.at - startedAt,
      ...(windowNote ? { windowNote } : {}),
      cores,
      redisMicrosPerEvent,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}
