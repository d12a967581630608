import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';
import { Backoff, sleep, ThrottledLog } from '@app/retry';

import type { ApiConfig } from '../api.config';
import { API_CONFIG, REDIS } from '../api.tokens';
import type { Principal } from '../auth/principal';
import { ApiError } from '../http/api-error';
import type { HttpResponse } from '../http/http-types';
import { NO_FACILITY, viewKeys } from '../store/keys';

/** One change of the log: its stream id, its sequence number (if any), the alert's facility (or ~), the alert JSON. */
interface Change {
  id: string;
  seq: number | null;
  facility: string;
  json: string;
}

/** How a resume from Last-Event-ID goes: the backlog is replayed, or the client starts over. */
type Resume = { replay: true } | { replay: false; reason: string; newestId: string | null };

const BLOCK_MS = 5_000;
const READ_COUNT = 500;
const REPLAY_COUNT = 1_000;
/** a client that lets this much pile up unread is cut off; it reconnects with Last-Event-ID */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Stream ids are "<ms>-<seq>": compared as numbers, not as strings. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

class Client {
  /** the last change written to it; nothing at or before it is written again */
  lastId: string | null = null;
  /** live changes that came while the backlog was replayed */
  pending: Change[] | null = [];

  constructor(
    readonly principal: Principal,
    readonly res: HttpResponse,
  ) {}

  sees(change: Change): boolean {
    return this.principal.seesFacility(change.facility === NO_FACILITY ? null : change.facility);
  }

  /**
   * Tells the client to drop what it holds and list the alerts again (the gap since its Last-Event-ID
   * is not replayed); its stream goes on live from `newestId`, which it resumes from next time.
   */
  reset(reason: string, lastEventId: string, newestId: string | null): boolean {
    this.lastId = newestId;
    const id = newestId === null ? '' : `id: ${newestId}\n`;
    this.res.write(`event: reset\n${id}data: ${JSON.stringify({ reason, lastEventId })}\n\n`);
    return this.res.writableLength <= MAX_BUFFERED_BYTES;
  }

  /** Writes the change unless it was written already or is out of scope; false when cut off. */
  send(change: Change): boolean {
    if (this.lastId !== null && compareIds(change.id, this.lastId) <= 0) return true;
    this.lastId = change.id;
    if (!this.sees(change)) return true;
    this.res.write(`event: alert\nid: ${change.id}\ndata: ${change.json}\n\n`);
    return this.res.writableLength <= MAX_BUFFERED_BYTES;
  }
}

/**
 * The alert change log (a Redis stream written by the view consumer) fanned out to the SSE clients
 * of this process: one blocking XREAD loop on a connection of its own, whatever the number of
 * clients. A client that resumes (Last-Event-ID) gets the backlog after its id by XRANGE, then the
 * live changes, each change once: what arrives live while the backlog is read waits, and a change
 * at or before the last one written is skipped.
 *
 * Bounded: at most SSE_MAX_STREAMS streams, SSE_MAX_STREAMS_PER_TOKEN per token (429 beyond); a
 * resume replays at most SSE_REPLAY_MAX changes. A longer gap, or an id the log no longer holds
 * (trimmed, wiped, or never one of its ids), gets a `reset` event instead: the client lists the alerts
 * again. A client that leaves MAX_BUFFERED_BYTES unread is cut off.
 */
@Injectable()
export class AlertStreamHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly clients = new Set<Client>();
  /** open streams per token name */
  private readonly perToken = new Map<string, number>();
  private readonly warn: ThrottledLog;
  private readonly stopped = new AbortController();
  private reader?: RedisClient;
  private position = '0-0';
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private heartbeat?: NodeJS.Timeout;
  private lastReadAt = 0;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly metrics: Metrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('alert-stream');
    this.warn = new ThrottledLog(this.log);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.reader = this.redis.duplicate();
    const [newest] = await this.redis.xrevrange(viewKeys.alertChanges(), '+', '-', 'COUNT', 1);
    this.position = newest?.[0] ?? '0-0';
    this.lastReadAt = Date.now();
    this.loop = this.run();
    this.heartbeat = setInterval(() => this.beat(), this.config.heartbeatMs);
  }

  /** For the readiness check: the loop has come back from Redis lately. */
  isReading(nowMs: number): boolean {
    return !this.stopping && nowMs - this.lastReadAt <= 3 * BLOCK_MS;
  }

  /** Throws 429 when the caller may not open another stream now; call right before attach. */
  admit(principal: Principal): void {
    const { maxStreams, maxStreamsPerToken } = this.config.stream;
    if (this.clients.size >= maxStreams)
      throw new ApiError(
        429,
        'TOO_MANY_STREAMS',
        `this server has ${maxStreams} alert streams open, its limit`,
      );
    if ((this.perToken.get(principal.name) ?? 0) >= maxStreamsPerToken)
      throw new ApiError(
        429,
        'TOO_MANY_STREAMS',
        `${principal.name} has ${maxStreamsPerToken} alert streams open, the limit per token`,
      );
  }

  /**
   * Adds a client whose response has its SSE headers sent. With `lastEventId`, the changes after it
   * are replayed first, or it is reset.
   */
  async attach(principal: Principal, res: HttpResponse, lastEventId: string | null): Promise<void> {
    const client = new Client(principal, res);
    this.clients.add(client);
    this.perToken.set(principal.name, (this.perToken.get(principal.name) ?? 0) + 1);
    this.metrics.sseClients.set(this.clients.size);
    res.on('close', () => this.detach(client));
    if (lastEventId === null) {
      this.flush(client);
      return;
    }
    client.lastId = lastEventId;
    try {
      const resume = await this.resumeFrom(lastEventId);
      if (!this.clients.has(client)) return;
      if (!resume.replay) {
        if (!client.reset(resume.reason, lastEventId, resume.newestId)) return this.cut(client);
        return this.flush(client);
      }
      let from = lastEventId;
      for (;;) {
        const entries = await this.redis.xrange(
          viewKeys.alertChanges(),
          `(${from}`,
          '+',
          'COUNT',
          REPLAY_COUNT,
        );
        for (const entry of entries) {
          if (!this.clients.has(client)) return;
          if (!client.send(toChange(entry))) return this.cut(client);
        }
        if (entries.length < REPLAY_COUNT) break;
        from = entries[entries.length - 1][0];
      }
    } catch (error) {
      this.warn.warn('replay', 'could not replay the alert stream; the client reconnects', {
        error: (error as Error).message,
      });
      this.detach(client);
      res.end();
      return;
    }
    this.flush(client);
  }

  /**
   * Whether the changes after `lastEventId` can be replayed: the log must still hold that entry (so
   * nothing after it was trimmed), and the sequence numbers say how many follow it.
   */
  private async resumeFrom(lastEventId: string): Promise<Resume> {
    const key = viewKeys.alertChanges();
    const [marks, newest] = await Promise.all([
      this.redis.xrange(key, lastEventId, lastEventId),
      this.redis.xrevrange(key, '+', '-', 'COUNT', 1),
    ]);
    const newestId = newest[0]?.[0] ?? null;
    const mark = marks[0] ? toChange(marks[0]) : null;
    if (!mark) return { replay: false, reason: 'the change log no longer holds this id', newestId };
    const head = newest[0] ? toChange(newest[0]) : mark;
    if (mark.seq === null || head.seq === null)
      return { replay: false, reason: 'the gap since this id cannot be measured', newestId };
    const gap = head.seq - mark.seq;
    if (gap > this.config.stream.replayMax)
      return {
        replay: false,
        reason: `${gap} changes since this id, more than the ${this.config.stream.replayMax} replayed`,
        newestId,
      };
    return { replay: true };
  }

  private flush(client: Client): void {
    const pending = client.pending ?? [];
    client.pending = null;
    for (const change of pending) if (!client.send(change)) return this.cut(client);
  }

  private detach(client: Client): void {
    if (!this.clients.delete(client)) return;
    const name = client.principal.name;
    const open = (this.perToken.get(name) ?? 1) - 1;
    if (open > 0) this.perToken.set(name, open);
    else this.perToken.delete(name);
    this.metrics.sseClients.set(this.clients.size);
  }

  private cut(client: Client): void {
    this.warn.warn('slow-client', 'alert stream client too slow; closing its stream', {
      token: client.principal.name,
    });
    this.detach(client);
    client.res.end();
  }

  private async run(): Promise<void> {
    const reader = this.reader as RedisClient;
    const backoff = new Backoff({ baseMs: 200, maxMs: 5_000 });
    while (!this.stopping) {
      try {
        const result = (await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          viewKeys.alertChanges(),
          this.position,
        )) as [string, [string, string[]][]][] | null;
        this.lastReadAt = Date.now();
        backoff.reset();
        this.warn.clear('read');
        for (const [, entries] of result ?? []) {
          for (const entry of entries) {
            const change = toChange(entry);
            this.position = change.id;
            for (const client of this.clients) {
              if (client.pending) client.pending.push(change);
              else if (!client.send(change)) this.cut(client);
            }
          }
        }
      } catch (error) {
        if (this.stopping) break;
        const delayMs = backoff.next();
        this.warn.warn('read', 'reading the alert stream failed; retrying', {
          error: (error as Error).message,
          delayMs,
        });
        await sleep(delayMs, this.stopped.signal);
      }
    }
  }

  private beat(): void {
    for (const client of this.clients) if (!client.pending) client.res.write(': heartbeat\n\n');
  }

  /** SIGTERM: end every stream (clients reconnect elsewhere with Last-Event-ID) and stop the loop. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    this.perToken.clear();
    this.metrics.sseClients.set(0);
    this.reader?.disconnect();
    await this.loop;
  }
}

function toChange([id, fields]: [string, string[]]): Change {
  const get = (name: string) => {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return '';
  };
  const seq = Number.parseInt(get('n'), 10);
  return { id, seq: Number.isSafeInteger(seq) ? seq : null, facility: get('f'), json: get('a') };
}
