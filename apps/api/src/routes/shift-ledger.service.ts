import { Inject, Injectable } from '@nestjs/common';

import { FacilityCalendar, closesAtMs, type Shift } from '@app/calendar';
import { hasLedger, ledgerFacilities, readShiftLedgerPage, type ShiftLedgerPage } from '@app/ledger';
import type { RedisClient } from '@app/redis';

import type { ApiConfig } from '../api.config';
import { API_CONFIG, REDIS } from '../api.tokens';

const MAX_ORPHANS_LISTED = 1_000;

export interface ShiftView extends ShiftLedgerPage {
  facilityId: string;
  shiftId: string;
  start: string;
  end: string;
  closesAt: string;
}

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
    return hasLedger(this.redis, facilityId);
  }

  /** Facilities with ledger data. */
  ledgerFacilities(): Promise<string[]> {
    return ledgerFacilities(this.redis);
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
    const page = await readShiftLedgerPage(this.redis, facilityId, shiftId, {
      cursor,
      limit,
      maxOrphans: MAX_ORPHANS_LISTED,
    });
    return {
      facilityId,
      shiftId,
      start: new Date(shift.startMs).toISOString(),
      end: new Date(shift.endMs).toISOString(),
      closesAt: new Date(closesAtMs(shift, this.config.rules.graceMs / 60_000)).toISOString(),
      ...page,
    };
  }
}
