import { Controller, Get, Inject, Param, Query } from '@nestjs/common';

import { FacilityCalendar } from '@app/calendar';
import type { ShiftSummary } from '@app/contracts';

import { Caller, Requires } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { forbidden, notFound } from '../http/api-error';
import { ZodPipe } from '../http/zod.pipe';
import { SummaryView } from '../store/summary-view';
import { FacilityParam, ShiftParam, ShiftQuery, SummariesQuery } from './params';
import { ShiftLedgerService, type ShiftView } from './shift-ledger.service';

/** Who the caller is, their facilities, and the ledgers and summaries of those facilities' shifts. */
@Controller('api/v1')
export class FacilitiesController {
  constructor(
    private readonly ledgers: ShiftLedgerService,
    @Inject(FacilityCalendar) private readonly calendar: FacilityCalendar,
    private readonly summaries: SummaryView,
  ) {}

  @Get('me')
  @Requires('authenticated')
  me(@Caller() caller: Principal) {
    return caller.toJSON();
  }

  @Get('facilities')
  @Requires('authenticated')
  async facilities(@Caller() caller: Principal) {
    const ids = caller.everyFacility
      ? [...new Set([...this.calendar.facilityIds(), ...(await this.ledgers.ledgerFacilities())])]
      : caller.facilityIds;
    const items = ids.sort().map((id) => {
      const info = this.calendar.facility(id);
      return info
        ? { id, name: info.name, kind: info.kind, timezone: info.timezone }
        : { id, name: id, kind: null, timezone: this.calendar.timezoneOf(id) };
    });
    return { items };
  }

  @Get('facilities/:facilityId/shifts/current')
  @Requires('ledgers:read')
  async current(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Query(new ZodPipe(ShiftQuery)) query: ShiftQuery,
  ): Promise<ShiftView> {
    await this.facilityOf(caller, facilityId);
    const shift = this.ledgers.currentShift(facilityId, Date.now());
    return this.ledgers.read(shift, query.cursor ?? '0', query.limit);
  }

  @Get('facilities/:facilityId/summaries')
  @Requires('ledgers:read')
  async latestSummaries(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Query(new ZodPipe(SummariesQuery)) query: { limit: number },
  ): Promise<{ items: ShiftSummary[] }> {
    await this.facilityOf(caller, facilityId);
    return { items: await this.summaries.latest(facilityId, query.limit) };
  }

  // A shift id holds a slash: /shifts/2026-11-27/AM and /shifts/2026-11-27%2FAM both name it.

  @Get('facilities/:facilityId/shifts/:date/:code/summary')
  @Requires('ledgers:read')
  summaryOf(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Param('date') date: string,
    @Param('code') code: string,
  ): Promise<ShiftSummary> {
    return this.summary(caller, facilityId, `${date}/${code}`);
  }

  @Get('facilities/:facilityId/shifts/:shiftId/summary')
  @Requires('ledgers:read')
  async summary(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Param('shiftId') shiftId: string,
  ): Promise<ShiftSummary> {
    await this.facilityOf(caller, facilityId);
    const shift = this.shiftOf(facilityId, shiftId);
    const summary = await this.summaries.get(facilityId, shift.shiftId);
    if (!summary)
      throw notFound(
        `no summary of ${facilityId} ${shift.shiftId} yet: it is published when the shift closes`,
      );
    return summary;
  }

  @Get('facilities/:facilityId/shifts/:date/:code')
  @Requires('ledgers:read')
  shiftByParts(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Param('date') date: string,
    @Param('code') code: string,
    @Query(new ZodPipe(ShiftQuery)) query: ShiftQuery,
  ): Promise<ShiftView> {
    return this.shift(caller, facilityId, `${date}/${code}`, query);
  }

  @Get('facilities/:facilityId/shifts/:shiftId')
  @Requires('ledgers:read')
  async shift(
    @Caller() caller: Principal,
    @Param('facilityId', new ZodPipe(FacilityParam)) facilityId: string,
    @Param('shiftId') shiftId: string,
    @Query(new ZodPipe(ShiftQuery)) query: ShiftQuery,
  ): Promise<ShiftView> {
    await this.facilityOf(caller, facilityId);
    return this.ledgers.read(this.shiftOf(facilityId, shiftId), query.cursor ?? '0', query.limit);
  }

  /** 403 outside the caller's scope, 404 for a facility neither in the calendar nor in the ledger. */
  private async facilityOf(caller: Principal, facilityId: string): Promise<void> {
    if (!caller.covers(facilityId)) throw forbidden(`${facilityId} is not in the scope of ${caller.name}`);
    if (!(await this.ledgers.isKnown(facilityId)))
      throw notFound(`${facilityId} is neither in the facility calendar nor in the ledger`);
  }

  private shiftOf(facilityId: string, shiftId: string) {
    new ZodPipe(ShiftParam).transform(shiftId);
    const shift = this.ledgers.shift(facilityId, shiftId);
    if (!shift) throw notFound(`${shiftId} is not a shift of ${facilityId} in the facility calendar`);
    return shift;
  }
}
