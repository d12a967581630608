/** Summaries of a V8 CPU profile (`node --cpu-prof`): where a process spent its own time. */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  /** functions by self time */
  functions: { name: string; where: string; ms: number; percent: number }[];
  /** self time by package or area: kafkajs, ioredis, zod, this project, node, gc, idle ... */
  areas: { area: string; ms: number; percent: number }[];
}

const root = path.resolve(__dirname, '..', '..');

function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (idle), (program)
    return 'native';
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.startsWith('node:')) return 'node';
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) return `project ${path.relative(root, file).split('/').slice(0, 2).join('/')}`;
  return 'other';
}

/**
 * Self time by function and by area, counting only samples from `fromMs` after the profile began (to
 * leave out start-up: ts-node transpiling, Nest wiring, joining the group).
 */
export function summariseProfile(file: string, fromMs = 0, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  let counted = profile.endTime - profile.startTime;
  if (profile.samples && profile.timeDeltas) {
    const deltas = profile.timeDeltas;
    let at = 0;
    counted = 0;
    profile.samples.forEach((id, i) => {
      at += deltas[i] ?? 0;
      if (at < fromMs * 1000) return;
      counted += deltas[i] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
    });
  } else {
    const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
    const per = total > 0 ? counted / total : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * per);
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^file:\/\//, '').replace(`${root}/`, '');
    const where = url ? `${short}:${lineNumber + 1}` : '';
    const name = functionName || '(anonymous)';
    const key = `${name}\t${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const area = areaOf(node.callFrame);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((1000 * us) / totalUs) / 10;
  return {
    file,
    seconds: counted / 1e6,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: Math.round(f.us / 1000), percent: pct(f.us) })),
    areas: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), percent: pct(us) })),
  };
}

/** The newest .cpuprofile in dir, if any. */
export function newestProfile(dir: string): string | undefined {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(dir, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  } catch {
    return undefined;
  }
}
