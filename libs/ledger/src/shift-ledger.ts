import { COUNTERS, zeroCounters, type Counter, type Counters } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { ledgerKeys } from './keys';

export interface SegmentCounters extends Counters {
  to: string;
}

export interface HandOffRef {
  itemId: string;
  from: string;
  to: string;
}

/** The ledger of one (owner facility, shift). */
export interface ShiftLedger {
  facilityId: string;
  shiftId: string;
  totals: Counters;
  byClass: Record<string, Counters>;
  bySegment: SegmentCounters[];
  violations: { unconsentedDelivery: number };
  openItems: HandOffRef[];
  orphanItems: HandOffRef[];
}

const isCounter = (name: string): name is Counter => (COUNTERS as readonly string[]).includes(name);

/** Folds the ledger hash ("<class>|<to>|<counter>" -> n) into totals, per class and per segment. */
export function foldLedgerHash(
  hash: Record<string, string>,
): Pick<ShiftLedger, 'totals' | 'byClass' | 'bySegment' | 'violations'> {
  const totals = zeroCounters();
  const byClass: Record<string, Counters> = {};
  const bySegment = new Map<string, SegmentCounters>();
  let unconsented = 0;
  for (const [field, raw] of Object.entries(hash)) {
    const last = field.lastIndexOf('|');
    const first = field.indexOf('|');
    const mailClass = field.slice(0, first);
    const to = field.slice(first + 1, last);
    const counter = field.slice(last + 1);
    const n = Number(raw);
    if (counter === 'unconsented') {
      unconsented += n;
      continue;
    }
    if (!isCounter(counter)) continue;
    totals[counter] += n;
    (byClass[mailClass] ??= zeroCounters())[counter] += n;
    let segment = bySegment.get(to);
    if (!segment) bySegment.set(to, (segment = { to, ...zeroCounters() }));
    segment[counter] += n;
  }
  return {
    totals,
    byClass,
    bySegment: [...bySegment.values()].sort((a, b) => a.to.localeCompare(b.to)),
    violations: { unconsentedDelivery: unconsented },
  };
}

function toRef(member: string): HandOffRef {
  const [itemId, from, ...rest] = member.split('|');
  return { itemId, from, to: rest.join('|') };
}

const byItem = (a: HandOffRef, b: HandOffRef) => a.itemId.localeCompare(b.itemId) || a.to.localeCompare(b.to);

/** Reads one shift's ledger; item lists are sorted by item id. */
export async function readShiftLedger(
  redis: RedisClient,
  facilityId: string,
  shiftId: string,
): Promise<ShiftLedger> {
  const [hash, open, orphans] = await Promise.all([
    redis.hgetall(ledgerKeys.ledger(facilityId, shiftId)),
    redis.smembers(ledgerKeys.open(facilityId, shiftId)),
    redis.smembers(ledgerKeys.orphans(facilityId, shiftId)),
  ]);
  return {
    facilityId,
    shiftId,
    ...foldLedgerHash(hash),
    openItems: open.map(toRef).sort(byItem),
    orphanItems: orphans.map(toRef).sort(byItem),
  };
}

/** The shifts of a facility that have ledger data, oldest first. */
export async function listShifts(redis: RedisClient, facilityId: string): Promise<string[]> {
  return redis.zrange(ledgerKeys.shifts(facilityId), 0, -1);
}

/** One page of a shift's ledger, as the API shows it: counters, and the open hand-offs a page at a time. */
export interface ShiftLedgerPage extends Pick<
  ShiftLedger,
  'totals' | 'byClass' | 'bySegment' | 'violations'
> {
  /** the watch has closed the shift */
  closed: boolean;
  openItems: { count: number; items: HandOffRef[]; nextCursor: string | null };
  /** at most `maxOrphans`, by item id */
  orphanItems: { count: number; items: HandOffRef[] };
}

/** The shift's counters with one page of its open hand-offs from `cursor` (SSCAN: about `limit` each). */
export async function readShiftLedgerPage(
  redis: RedisClient,
  facilityId: string,
  shiftId: string,
  page: { cursor: string; limit: number; maxOrphans: number },
): Promise<ShiftLedgerPage> {
  const openKey = ledgerKeys.open(facilityId, shiftId);
  const orphansKey = ledgerKeys.orphans(facilityId, shiftId);
  const [hash, closed, openCount, [next, members], orphanCount, orphanPage] = await Promise.all([
    redis.hgetall(ledgerKeys.ledger(facilityId, shiftId)),
    redis.hexists(ledgerKeys.closed(facilityId), shiftId),
    redis.scard(openKey),
    redis.sscan(openKey, page.cursor, 'COUNT', page.limit),
    redis.scard(orphansKey),
    redis.sort(orphansKey, 'ALPHA', 'LIMIT', 0, page.maxOrphans) as Promise<string[]>,
  ]);
  return {
    ...foldLedgerHash(hash),
    closed: closed === 1,
    openItems: {
      count: openCount,
      items: [...new Set(members)].map(toRef).sort(byItem),
      nextCursor: next === '0' ? null : next,
    },
    orphanItems: { count: orphanCount, items: orphanPage.map(toRef).sort(byItem) },
  };
}

/** Every facility with ledger data. */
export function ledgerFacilities(redis: RedisClient): Promise<string[]> {
  return redis.smembers(ledgerKeys.facilities());
}

/** Whether the facility has ledger data. */
export async function hasLedger(redis: RedisClient, facilityId: string): Promise<boolean> {
  return (await redis.sismember(ledgerKeys.facilities(), facilityId)) === 1;
}
