import {
  FEEDBACK_COUNTER,
  RECEIPT_COUNTER,
  isRoute,
  mailClassOfItem,
  ownerFacilityOf,
  type ClosureCounter,
  type MailClass,
  type ScanEvent,
} from '@app/contracts';

import { handOffKey } from './keys';

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

/** The facility whose ledger a scan changes: the owner of `from`, or of the route for a FEEDBACK. */
export function ledgerOwnerOf(event: ScanEvent): string {
  return ownerFacilityOf(event.type === 'FEEDBACK' ? event.route : event.from);
}

/**
 * Builds the script's view of a parsed scan; `shift` is the owner facility's shift at occurredAt.
 * Called per event, so without spreads (they cost more than everything else here): one literal in
 * `scanOf`, the same shape for every scan.
 */
export function toLedgerScan(
  event: ScanEvent,
  offset: number,
  occurredAtMs: number,
  shift: { readonly shiftId: string; readonly startMs: number; readonly endMs: number },
): LedgerScan {
  switch (event.type) {
    case 'HANDOVER':
      return scanOf(
        event,
        offset,
        occurredAtMs,
        shift,
        'H',
        event.from,
        event.to,
        event.mailClass ?? mailClassOfItem(event.itemId),
        undefined,
        false,
      );
    case 'RECEIPT':
      return scanOf(
        event,
        offset,
        occurredAtMs,
        shift,
        'C',
        event.from,
        event.to,
        mailClassOfItem(event.itemId),
        RECEIPT_COUNTER,
        false,
      );
    case 'FEEDBACK':
      return scanOf(
        event,
        offset,
        occurredAtMs,
        shift,
        'C',
        '',
        event.route,
        mailClassOfItem(event.itemId),
        FEEDBACK_COUNTER[event.outcome],
        event.consent === true,
      );
  }
}

function scanOf(
  event: ScanEvent,
  offset: number,
  occurredAtMs: number,
  shift: { readonly shiftId: string; readonly startMs: number; readonly endMs: number },
  kind: 'H' | 'C',
  from: string,
  to: string,
  mailClass: MailClass,
  closure: ClosureCounter | undefined,
  consent: boolean,
): LedgerScan {
  const scan: LedgerScan = {
    o: offset,
    k: kind,
    // a FEEDBACK names the route, not who handed the item to it: from is '' and the key is (item, route)
    key: handOffKey(event.itemId, from, to, from === '' || isRoute(to)),
    item: event.itemId,
    f: from,
    to,
    t: occurredAtMs,
    id: event.eventId,
    s: shift.shiftId,
    ss: shift.startMs,
    se: shift.endMs,
    c: mailClass,
  };
  if (closure !== undefined) scan.n = closure;
  if (consent) scan.v = 1;
  return scan;
}
