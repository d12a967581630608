/**
 * Simulating what a host crash does to a Redis with `appendfsync everysec`: the last second or so of
 * the append-only file never reaches the disk. Killing redis-server alone does not lose it (Redis
 * write()s the AOF before it replies, and the page cache survives the process), so a test records
 * the AOF's size as Redis runs, kills it, and cuts the file back to its size of a second before.
 * Redis 7 keeps a multi-part AOF (appendonlydir/, a manifest naming a base file and increments);
 * the writes land in the last increment. Start such a Redis with auto rewrites off, so that the
 * increment does not change under the test, and with `aof-load-truncated yes`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Redis arguments for a server whose AOF tail a test will cut. */
export const TRUNCATABLE_AOF_ARGS = ['--auto-aof-rewrite-percentage', '0', '--aof-load-truncated', 'yes'];

/** The path of the AOF increment Redis appends to, from the manifest in `<dataDir>/appendonlydir`. */
export function currentAofIncrement(dataDir: string): string {
  const dir = path.join(dataDir, 'appendonlydir');
  const manifest = fs.readdirSync(dir).find((name) => name.endsWith('.manifest'));
  if (!manifest) throw new Error(`no AOF manifest in ${dir}`);
  const increments = fs
    .readFileSync(path.join(dir, manifest), 'utf8')
    .split('\n')
    .filter((line) => / type i\b/.test(line))
    .map((line) => /^file (\S+) /.exec(line)?.[1])
    .filter((name): name is string => Boolean(name));
  if (increments.length === 0) throw new Error(`the AOF manifest in ${dir} names no increment`);
  return path.join(dir, increments[increments.length - 1]);
}

/** Samples the size of the AOF increment every `intervalMs` until stopped. */
export class AofSizeSampler {
  readonly samples: { at: number; size: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly file: string,
    intervalMs = 50,
  ) {
    const sample = () => {
      try {
        this.samples.push({ at: Date.now(), size: fs.statSync(file).size });
      } catch {
        // not there for a moment: skip
      }
    };
    sample();
    this.timer = setInterval(sample, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Resolves once the file has not grown for `ms` (Redis has had no write to log). */
  async quietFor(ms: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.samples[this.samples.length - 1];
      const grew = [...this.samples].reverse().find((s) => s.size !== last.size);
      const lastGrowth = grew ? this.samples[this.samples.indexOf(grew) + 1].at : this.samples[0].at;
      if (Date.now() - lastGrowth >= ms) return;
      if (Date.now() > deadline) throw new Error(`${this.file} kept growing for ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The size the file had at `atMs` (the last sample taken at or before it). */
  sizeAt(atMs: number): number {
    const before = this.samples.filter((s) => s.at <= atMs);
    if (before.length === 0) throw new Error(`no AOF size sampled before ${new Date(atMs).toISOString()}`);
    return before[before.length - 1].size;
  }
}

export interface AofCut {
  bytesBefore: number;
  bytesAfter: number;
  /** transactions (MULTI: one Lua script's effects) in the part cut off */
  transactions: number;
  /** facility watermark writes (`...:wm`) in the part cut off: partition batches whose apply is lost */
  watermarkWrites: number;
}

/**
 * Up to the next page boundary: the kernel writes back whole pages, so what survives a host crash
 * may end in the middle of a command (Redis drops it with `aof-load-truncated yes`).
 */
export function toPage(size: number): number {
  return Math.ceil(size / 4096) * 4096;
}

/** Cuts the file back to `size` bytes, as if the rest had never reached the disk. */
export function truncateAof(file: string, size: number): AofCut {
  const bytesBefore = fs.statSync(file).size;
  if (size >= bytesBefore)
    throw new Error(`the AOF ${file} is ${bytesBefore} bytes: nothing to cut at ${size}`);
  const fd = fs.openSync(file, 'r');
  let tail: string;
  try {
    const buffer = Buffer.alloc(bytesBefore - size);
    fs.readSync(fd, buffer, 0, buffer.length, size);
    tail = buffer.toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
  fs.truncateSync(file, size);
  return {
    bytesBefore,
    bytesAfter: size,
    transactions: tail.split('\r\nMULTI\r\n').length - 1,
    watermarkWrites: tail.match(/\r\nHSET\r\n\$\d+\r\nhbm:\{[^}]*\}:wm\r\n/g)?.length ?? 0,
  };
}
