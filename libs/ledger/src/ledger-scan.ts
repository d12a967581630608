import { isRoute, mailClassOfItem, ownerFacilityOf, type MailClass, type ScanEvent } from '@app/contracts';

import { handOffKey } from './keys';

export type ClosureCounter = 'received' | 'delivered' | 'locker' | 'pickupPoint' | 'returned';

/** One scan as the ledger script takes it (short field names: it is serialised per event). */
export interface LedgerScan {
  /** Kafka offset */
  o: number;
  k: 'H' | 'C';
  /** hand-off history key */
  key: string;
  item: string;
  f: string;
  to: string;
  /** occurredAt, ms */
  t: number;
  id: string;
  /** shiftId of the owner facility at occurredAt, and that shift's start (ms) */
  s: string;
  ss: number;
  /** that shift's end (ms): it closes at its end plus the grace */
  se: number;
  c: MailClass;
  n?: ClosureCounter;
  v?: 1;
}

const closureOf: Record<'DELIVERED' | 'LOCKER' | 'PICKUP_POINT' | 'RETURNED', ClosureCounter> = {
  DELIVERED: 'delivered',
  LOCKER: 'locker',
  PICKUP_POINT: 'pickupPoint',
  RETURNED: 'returned',
};

/** The facility whose ledger a scan changes: the owner of `from`, or of the route for a FEEDBACK. */
export function ledgerOwnerOf(event: ScanEvent): string {
  return ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
}

/**
 * Builds the script's view of a parsed scan; `shift` is the owner facility's shift at occurredAt.
 * Called per event: one object literal per type (no spreads, which cost more than everything else
 * here), its keys in one fixed order, so the JSON is the same as ever and every scan of a type shares
 * one shape.
 */
export function toLedgerScan(
  event: ScanEvent,
  offset: number,
  occurredAtMs: number,
  shift: { readonly shiftId: string; readonly startMs: number; readonly endMs: number },
): LedgerScan {
  switch (event.type) {
    case 'HANDOVER':
      return {
        o: offset,
        item: event.itemId,
        t: occurredAtMs,
        id: event.eventId,
        s: shift.shiftId,
        ss: shift.startMs,
        se: shift.endMs,
        k: 'H',
        key: handOffKey(event.itemId, event.from, event.to, isRoute(event.to)),
        f: event.from,
        to: event.to,
        c: event.mailClass ?? mailClassOfItem(event.itemId),
      };
    case 'RECEIPT':
      return {
        o: offset,
        item: event.itemId,
        t: occurredAtMs,
        id: event.eventId,
        s: shift.shiftId,
        ss: shift.startMs,
        se: shift.endMs,
        k: 'C',
        key: handOffKey(event.itemId, event.from, event.to, isRoute(event.to)),
        f: event.from,
        to: event.to,
        c: mailClassOfItem(event.itemId),
        n: 'received',
      };
    case 'FEEDBACK': {
      const scan: LedgerScan = {
        o: offset,
        item: event.itemId,
        t: occurredAtMs,
        id: event.eventId,
        s: shift.shiftId,
        ss: shift.startMs,
        se: shift.endMs,
        k: 'C',
        key: handOffKey(event.itemId, '', event.route, true),
        f: '',
        to: event.route,
        c: mailClassOfItem(event.itemId),
        n: closureOf[event.outcome],
      };
      if (event.consent === true) scan.v = 1;
      return scan;
    }
  }
}
