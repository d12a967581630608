import type { FacilityCalendar } from '@app/calendar';
import {
  ownerFacilityOf,
  parseScanMessage,
  type DeadLetterReason,
  type ScanEvent,
  type ScanLimits,
} from '@app/contracts';
import { ledgerOwnerOf, toLedgerScan, type LedgerScan } from '@app/ledger';

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
    const owner = ledgerOwnerOf(event);
    if (this.strictFacilities) {
      const segments = event.type === 'FEEDBACK' ? [event.route] : [event.from, event.to];
      const unknown = [event.facilityId, ...segments.map(ownerFacilityOf)].find(
        (id) => !this.calendar.isKnown(id),
      );
      if (unknown !== undefined) {
        return {
          ok: false,
          reason: 'UNKNOWN_FACILITY',
          detail: `facility ${unknown} is not in the facility calendar`,
        };
      }
    }
    const shift = this.calendar.shiftAt(owner, occurredAtMs);
    return {
      ok: true,
      type: event.type,
      facilityId: owner,
      scan: toLedgerScan(event, offset, occurredAtMs, shift),
    };
  }
}
