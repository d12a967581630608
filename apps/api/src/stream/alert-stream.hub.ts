import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { JsonLogger, Metrics } from '@app/observability';
import type { RedisClient } from '@app/redis';

import type { ApiConfig } from '../api.config';
import { API_CONFIG, REDIS } from '../api.tokens';
import type { Principal } from '../auth/principal';
import type { HttpResponse } from '../http/http-types';
import { NO_FACILITY, viewKeys } from '../store/keys';

/** One change of the log: its stream id, the alert's facility (or ~), the alert JSON. */
interface Change {
  id: string;
  facility: string;
  json: string;
}

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
 */
@Injectable()
export class AlertStreamHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: JsonLogger;
  private readonly clients = new Set<Client>();
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

  /**
   * Adds a client whose response has its SSE headers sent. With `lastEventId`, the changes after it
   * are replayed first.
   */
  async attach(principal: Principal, res: HttpResponse, lastEventId: string | null): Promise<void> {
    const client = new Client(principal, res);
    this.clients.add(client);
    this.metrics.sseClients.set(this.clients.size);
    res.on('close', () => this.detach(client));
    if (lastEventId === null) {
      this.flush(client);
      return;
    }
    client.lastId = lastEventId;
    try {
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
      this.log.warn('could not replay the alert stream', { error: (error as Error).message });
      res.end();
      return;
    }
    this.flush(client);
  }

  private flush(client: Client): void {
    const pending = client.pending ?? [];
    client.pending = null;
    for (const change of pending) if (!client.send(change)) return this.cut(client);
  }

  private detach(client: Client): void {
    if (this.clients.delete(client)) this.metrics.sseClients.set(this.clients.size);
  }

  private cut(client: Client): void {
    this.log.warn('alert stream client too slow; closing its stream', { token: client.principal.name });
    this.detach(client);
    client.res.end();
  }

  private async run(): Promise<void> {
    const reader = this.reader as RedisClient;
    let failures = 0;
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
        failures = 0;
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
        failures++;
        this.log.warn('reading the alert stream failed; retrying', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 5_000)));
      }
    }
  }

  private beat(): void {
    for (const client of this.clients) if (!client.pending) client.res.write(': heartbeat\n\n');
  }

  /** SIGTERM: end every stream (clients reconnect elsewhere with Last-Event-ID) and stop the loop. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
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
  return { id, facility: get('f'), json: get('a') };
}
