import { Alert, type AlertKind, type AlertStatus } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { ANY, NO_FACILITY, viewKeys } from './keys';
import { defineViewScripts } from './view-scripts';

/** Where a page of alerts ends: the (updatedAt, alertId) of its last alert. */
interface Position {
  score: number;
  id: string;
}

export interface AlertQuery {
  /** the indexes to read: facility ids, NO_FACILITY, or ANY for all alerts */
  facilities: string[];
  status?: AlertStatus;
  kind?: AlertKind;
  limit: number;
  cursor?: string;
}

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
}

/** The most index entries one list request looks at before it returns a (shorter) page with a cursor. */
const MAX_SCANNED = 5_000;
const CHUNK = 200;

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.score}:${p.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): Position | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(.{1,256})$/.exec(text);
  return match ? { score: Number(match[1]), id: match[2] } : null;
}

/** Newest first: by updatedAt, then (as Redis orders equal scores, reversed) by id. */
const after = (a: Position, b: Position) => a.score < b.score || (a.score === b.score && a.id < b.id);

/** One index read newest first from a position, a chunk at a time. */
class IndexReader {
  private buffer: Position[] = [];
  private offset = 0;
  private done = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly from: Position | null,
  ) {}

  async peek(): Promise<Position | undefined> {
    while (this.buffer.length === 0 && !this.done) await this.fill();
    return this.buffer[0];
  }

  take(): Position | undefined {
    return this.buffer.shift();
  }

  private async fill(): Promise<void> {
    const max = this.from ? String(this.from.score) : '+inf';
    const raw = await this.redis.zrange(
      this.key,
      max,
      '-inf',
      'BYSCORE',
      'REV',
      'LIMIT',
      this.offset,
      CHUNK,
      'WITHSCORES',
    );
    this.offset += raw.length / 2;
    if (raw.length / 2 < CHUNK) this.done = true;
    for (let i = 0; i < raw.length; i += 2) {
      const p = { id: raw[i], score: Number(raw[i + 1]) };
      if (!this.from || after(p, this.from)) this.buffer.push(p);
    }
  }
}

/**
 * The API's view of the alerts topic in Redis: the latest revision of every alert, indexed newest
 * first by facility and status (written by ingestAlerts-3.lua through AlertViewWriter).
 */
export class AlertView {
  constructor(private readonly redis: RedisClient) {
    defineViewScripts(redis);
  }

  async get(alertId: string): Promise<Alert | null> {
    const raw = await this.redis.hget(viewKeys.alerts(), alertId);
    return raw === null ? null : Alert.parse(JSON.parse(raw));
  }

  /** A page of alerts, newest first, merged over the indexes of `facilities`. */
  async list(query: AlertQuery): Promise<AlertPage> {
    const from = query.cursor ? decodeCursor(query.cursor) : null;
    const readers = query.facilities.map(
      (f) => new IndexReader(this.redis, viewKeys.alertIndex(f, query.status ?? ANY), from),
    );
    const items: Alert[] = [];
    let last: Position | null = null;
    let scanned = 0;
    for (;;) {
      const want = query.limit - items.length;
      const batch: Position[] = [];
      while (batch.length < want && scanned < MAX_SCANNED) {
        const next = await nextOf(readers);
        if (!next) break;
        batch.push(next);
        scanned++;
      }
      if (batch.length === 0) break;
      const alerts = await this.read(batch.map((p) => p.id));
      items.push(...(query.kind ? alerts.filter((a) => a.kind === query.kind) : alerts));
      last = batch[batch.length - 1];
      if (batch.length < want) break;
    }
    const more = scanned >= MAX_SCANNED || (await headOf(readers)) !== undefined;
    return { items, nextCursor: more && last ? encodeCursor(last) : null };
  }

  private async read(ids: string[]): Promise<Alert[]> {
    if (ids.length === 0) return [];
    const raw = await this.redis.hmget(viewKeys.alerts(), ...ids);
    return raw.flatMap((value) => (value === null ? [] : [Alert.parse(JSON.parse(value))]));
  }
}

/** The reader whose next position is the newest, or undefined when all are done. */
async function headOf(readers: IndexReader[]): Promise<IndexReader | undefined> {
  let best: IndexReader | undefined;
  let bestHead: Position | undefined;
  for (const reader of readers) {
    const head = await reader.peek();
    if (head && (!bestHead || after(bestHead, head))) {
      best = reader;
      bestHead = head;
    }
  }
  return best;
}

async function nextOf(readers: IndexReader[]): Promise<Position | undefined> {
  return (await headOf(readers))?.take();
}

/** The index of an alert's facility (CONSUMER_LAG alerts have none). */
export function facilityIndexOf(alert: Pick<Alert, 'facilityId'>): string {
  return alert.facilityId ?? NO_FACILITY;
}
