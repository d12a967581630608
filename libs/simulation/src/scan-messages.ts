import type { DeadLetterReason, FeedbackOutcome, MailClass } from '@app/contracts';

import type { Dice } from './random';

/*
 * Message values as a scanner sends them. Built from templates rather than JSON.stringify: every
 * field is an id, a code or an RFC 3339 instant (no character that JSON escapes), and this is the
 * generator's hot path. Field order follows SPEC section 2.
 */

export interface HandoverScan {
  eventId: string;
  itemId: string;
  facilityId: string;
  from: string;
  to: string;
  mailClass: MailClass | undefined;
  occurredAt: string;
  operatorId: string;
}

export interface ReceiptScan {
  eventId: string;
  itemId: string;
  facilityId: string;
  from: string;
  to: string;
  occurredAt: string;
  operatorId: string;
}

export interface FeedbackScan {
  eventId: string;
  itemId: string;
  facilityId: string;
  route: string;
  outcome: FeedbackOutcome;
  /** undefined: the field is left out */
  consent: boolean | undefined;
  occurredAt: string;
  operatorId: string;
}

export function handoverValue(s: HandoverScan): string {
  const mailClass = s.mailClass === undefined ? '' : `,"mailClass":"${s.mailClass}"`;
  return `{"eventId":"${s.eventId}","type":"HANDOVER","itemId":"${s.itemId}","facilityId":"${s.facilityId}","from":"${s.from}","to":"${s.to}"${mailClass},"occurredAt":"${s.occurredAt}","operatorId":"${s.operatorId}"}`;
}

export function receiptValue(s: ReceiptScan): string {
  return `{"eventId":"${s.eventId}","type":"RECEIPT","itemId":"${s.itemId}","facilityId":"${s.facilityId}","from":"${s.from}","to":"${s.to}","occurredAt":"${s.occurredAt}","operatorId":"${s.operatorId}"}`;
}

export function feedbackValue(s: FeedbackScan): string {
  const consent = s.consent === undefined ? '' : `,"consent":${s.consent}`;
  return `{"eventId":"${s.eventId}","type":"FEEDBACK","itemId":"${s.itemId}","facilityId":"${s.facilityId}","route":"${s.route}","outcome":"${s.outcome}"${consent},"occurredAt":"${s.occurredAt}","operatorId":"${s.operatorId}"}`;
}

/** Messages the system must dead-letter, each with the one reason it must give. */
export type BadMessageReason = Extract<
  DeadLetterReason,
  'INVALID_JSON' | 'SCHEMA' | 'BAD_ITEM_ID' | 'OVERSIZE'
>;

/** Bigger than the default MAX_EVENT_BYTES (65,536). */
const OVERSIZE_PADDING = 70_000;

/**
 * A message value that fails with `reason` whatever the clock: the checks that depend on the time
 * (FUTURE_TIMESTAMP, TOO_LATE) come after these in parseScanMessage. `valid` is a valid HANDOVER of
 * a real item (and `badItemId` that item's id with a wrong check digit), so a bad message looks like
 * the real ones around it.
 */
export function badMessageValue(
  reason: BadMessageReason,
  valid: HandoverScan,
  badItemId: string,
  dice: Dice,
): string {
  switch (reason) {
    case 'INVALID_JSON': {
      const text = handoverValue(valid);
      switch (dice.int(0, 3)) {
        case 0: // cut off in transit: any proper prefix of a JSON object is not JSON
          return text.slice(0, dice.int(1, text.length - 1));
        case 1:
          return `HANDOVER ${valid.itemId} ${valid.from} -> ${valid.to} at ${valid.occurredAt}`;
        case 2:
          return `[${text}]`;
        default:
          return text.replace(`"type":"HANDOVER",`, `"type":"HANDOVER",,`);
      }
    }
    case 'SCHEMA': {
      const text = handoverValue(valid);
      switch (dice.int(0, 5)) {
        case 0:
          return text.replace(`"type":"HANDOVER"`, `"type":"SCAN"`);
        case 1:
          return text.replace(`,"to":"${valid.to}"`, '');
        case 2:
          return text.replace(
            `"facilityId":"${valid.facilityId}"`,
            `"facilityId":"${valid.facilityId.toLowerCase()}"`,
          );
        case 3:
          return text.replace(`"to":"${valid.to}"`, `"to":"${valid.from}"`);
        case 4:
          return text.replace(
            `"occurredAt":"${valid.occurredAt}"`,
            `"occurredAt":"${valid.occurredAt.slice(0, 19)}"`,
          );
        default:
          return text.replace(`"eventId":"${valid.eventId}"`, `"eventId":""`);
      }
    }
    case 'BAD_ITEM_ID':
      return handoverValue({ ...valid, itemId: dice.chance(0.8) ? badItemId : valid.itemId.slice(0, 12) });
    case 'OVERSIZE':
      return handoverValue({ ...valid, operatorId: 'X'.repeat(OVERSIZE_PADDING) });
  }
}
