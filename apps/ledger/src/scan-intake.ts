import type { FacilityCalendar } from '@app/calendar';
import {
  ownerFacilityOf,
  parseScanMessage,
  type DeadLetterReason,
  type ScanEvent,
  type ScanLimits,
} from '@app/contracts';
import { toLedgerScan, type LedgerScan } from '@app/ledger';

export type Intake =
  | { ok: true; type: ScanEvent['type']; facilityId: string; scan: LedgerScan }
  | { ok: false; reason: DeadLetterReason; detail: string };

/**
 * Turns one Kafka message into the scan the ledger applies, or into the reason it is dead-lettered:
 * the message checks of `parseScanMessage`, then the facility calendar (UNKNOWN_FACILITY under
 * STRICT_FACILITIES), then the owner facility's shift at occurredAt.
 */
export class ScanIntake {
  constructor(
    private readonly calendar: FacilityCalendar,
    private readonly limits: ScanLimits,
    private readonly strictFacilities: boolean,
  ) {}

  read(value: Buffer | null, offset: number, nowMs: number): Intake {
    const parsed = parseScanMessage(value, this.limits, nowMs);
    if (!parsed.ok) return parsed;
    const { event, occurredAtMs } = parsed;
    // the owner (ledgerOwnerOf) is the owner of the route, or of `from`
    const owner = ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
    if (this.strictFacilities) {
      // the first unknown of: the scanning facility, then the owners of the segments in order
      const calendar = this.calendar;
      const unknown = !calendar.isKnown(event.facilityId)
        ? event.facilityId
        : !calendar.isKnown(owner)
          ? owner
          : event.type !== 'FEEDBACK' && !calendar.isKnown(ownerFacilityOf(event.to))
            ? ownerFacilityOf(event.to)
            : undefined;
      if (unknown !== undefined) {
        return {
          ok: false,
          reason: 'UNKNOWN_FACILITY',
          detail: `facility ${unknown} is not in the facility calendar`,
        };
      }
    }
    const shift = this.calendar.shiftTimesAt(owner, occurredAtMs);
    return {
      ok: true,
      type: event.type,
      facilityId: owner,
      scan: toLedgerScan(event, offset, occurredAtMs, shift),
    };
  }
}
