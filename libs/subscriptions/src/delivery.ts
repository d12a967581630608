import { z } from 'zod';

import { Alert, ShiftSummary, shiftSummaryKey } from '@app/contracts';

import type { StoredSubscription } from './subscription';

/** What a subscriber is sent: one alert revision or one summary revision, as published on Kafka. */
export const DeliveryMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('alert'), alert: Alert }),
  z.object({ type: z.literal('summary'), summary: ShiftSummary }),
]);
export type DeliveryMessage = z.infer<typeof DeliveryMessage>;

/** A message waiting in a subscription's queue. */
export interface Delivery {
  /** "A|<alertId>|<revision>" or "S|<facilityId>|<shiftId>|<revision>": unique per subscription */
  id: string;
  enqueuedAtMs: number;
  message: DeliveryMessage;
}

/** The key whose revisions are delivered once each: the alert, or the (facility, shift) summary. */
export function dedupKeyOf(message: DeliveryMessage): string {
  return message.type === 'alert'
    ? `A|${message.alert.alertId}`
    : `S|${shiftSummaryKey(message.summary.facilityId, message.summary.shiftId)}`;
}

export function revisionOf(message: DeliveryMessage): number {
  return message.type === 'alert' ? message.alert.revision : message.summary.revision;
}

export function deliveryIdOf(message: DeliveryMessage): string {
  return `${dedupKeyOf(message)}|${revisionOf(message)}`;
}

/**
 * Whether a subscription wants a message: its kind of message (alerts, summaries), its facilities
 * ('*': every one, and the alerts of no facility such as CONSUMER_LAG), its alert kinds. Alertmanager
 * takes alerts only: summaries are not alerts, and Alertmanager would show them as firing.
 */
export function wants(sub: StoredSubscription, message: DeliveryMessage): boolean {
  const everywhere = sub.facilities.length === 1 && sub.facilities[0] === '*';
  if (message.type === 'summary') {
    return (
      sub.channel !== 'alertmanager' &&
      sub.deliver.includes('summaries') &&
      (everywhere || sub.facilities.includes(message.summary.facilityId))
    );
  }
  const { alert } = message;
  if (!sub.deliver.includes('alerts')) return false;
  if (sub.kinds && sub.kinds.length > 0 && !sub.kinds.includes(alert.kind)) return false;
  return everywhere || (alert.facilityId !== null && sub.facilities.includes(alert.facilityId));
}
