import { Inject, Injectable } from '@nestjs/common';

import { FacilityCalendar, closesAtMs, type Shift } from '@app/calendar';
import {
  foldLedgerHash,
  ledgerKeys,
  type Counters,
  type HandOffRef,
  type SegmentCounters,
} from '@app/ledger';
import type { RedisClient } from '@app/redis';

import type { ApiConfig } from '../api.config';
import { API_CONFIG, REDIS } from '../api.tokens';

const MAX_ORPHANS_LISTED = 1_000;

export interface ShiftView {
  facilityId: string;
  shiftId: string;
  start: string;
  end: string;
  closesAt: string;
  closed: boolean;
  totals: Counters;
  byClass: Record<string, Counters>;
  bySegment: SegmentCounters[];
  violations: { unconsentedDelivery: number };
  openItems: { count: number; items: HandOffRef[]; nextCursor: string | null };
  orphanItems: { count: number; items: HandOffRef[] };
}

function toRef(member: string): HandOffRef {
  const [itemId, from, ...rest] = member.split('|');
  return { itemId, from, to: rest.join('|') };
}
const byItem = (a: HandOffRef, b: HandOffRef) => a.itemId.localeCompare(b.itemId) || a.to.localeCompare(b.to);

/** The ledger of a shift as the API shows it: counters, and the open hand-offs a page at a time. */
@Injectable()
export class ShiftLedgerService {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly calendar: FacilityCalendar,
  ) {}

  /** Listed in the calendar, or has ledger data. */
  async isKnown(facilityId: string): Promise<boolean> {
    if (this.calendar.isKnown(facilityId)) return true;
    return (await this.redis.sismember(ledgerKeys.facilities(), facilityId)) === 1;
  }

  /** Facilities with ledger data. */
  ledgerFacilities(): Promise<string[]> {
    return this.redis.smembers(ledgerKeys.facilities());
  }

  currentShift(facilityId: string, nowMs: number): Shift {
    return this.calendar.shiftAt(facilityId, nowMs);
  }

  shift(facilityId: string, shiftId: string): Shift | null {
    return this.calendar.shiftById(facilityId, shiftId);
  }

  /** The shift's ledger with one page of its open hand-offs from `cursor` (SSCAN: about `limit` each). */
  async read(shift: Shift, cursor: string, limit: number): Promise<ShiftView> {
    const { facilityId, shiftId } = shift;
    const openKey = ledgerKeys.open(facilityId, shiftId);
    const orphansKey = ledgerKeys.orphans(facilityId, shiftId);
    const [hash, closed, openCount, [next, members], orphanCount, orphanPage] = await Promise.all([
      this.redis.hgetall(ledgerKeys.ledger(facilityId, shiftId)),
      this.redis.hexists(ledgerKeys.closed(facilityId), shiftId),
      this.redis.scard(openKey),
      this.redis.sscan(openKey, cursor, 'COUNT', limit),
      this.redis.scard(orphansKey),
      this.redis.sort(orphansKey, 'ALPHA', 'LIMIT', 0, MAX_ORPHANS_LISTED) as Promise<string[]>,
    ]);
    const folded = foldLedgerHash(hash);
    return {
      facilityId,
      shiftId,
      start: new Date(shift.startMs).toISOString(),
      end: new Date(shift.endMs).toISOString(),
      closesAt: new Date(closesAtMs(shift, this.config.rules.graceMs / 60_000)).toISOString(),
      closed: closed === 1,
      totals: folded.totals,
      byClass: folded.byClass,
      bySegment: folded.bySegment,
      violations: folded.violations,
      openItems: {
        count: openCount,
        items: [...new Set(members)].map(toRef).sort(byItem),
        nextCursor: next === '0' ? null : next,
      },
      orphanItems: { count: orphanCount, items: orphanPage.map(toRef).sort(byItem) },
    };
  }
}
