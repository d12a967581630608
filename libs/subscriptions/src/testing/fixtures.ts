/** Valid alert and summary revisions for the tests (unit and integration); not part of the library's API. */
import { Alert, ShiftSummary, zeroCounters, type AlertKind } from '@app/contracts';

import type { Delivery, DeliveryMessage } from '../delivery';
import { deliveryIdOf } from '../delivery';
import type { StoredSubscription } from '../subscription';

const zero = zeroCounters();

export function alertOf(overrides: Partial<Alert> = {}): Alert {
  const status = overrides.status ?? 'FIRING';
  return Alert.parse({
    alertId: 'FEEDBACK_OVERDUE|ZJ-HZ-DS07|2026-11-27/AM|ZJ-HZ-DS07|ZJ-HZ-DS07/R03',
    kind: 'FEEDBACK_OVERDUE' satisfies AlertKind,
    status,
    severity: 'critical',
    facilityId: 'ZJ-HZ-DS07',
    shiftId: '2026-11-27/AM',
    from: 'ZJ-HZ-DS07',
    to: 'ZJ-HZ-DS07/R03',
    itemCount: 2,
    items: ['EA123456785CN', 'EB000000014CN'],
    startsAt: '2026-11-27T04:00:00.000Z',
    updatedAt: '2026-11-27T04:00:00.000Z',
    endsAt: status === 'RESOLVED' ? '2026-11-27T05:00:00.000Z' : null,
    revision: 1,
    acknowledgedBy: null,
    text: '2 express items handed to ZJ-HZ-DS07/R03 have no delivery feedback after 240 min',
    ...overrides,
  });
}

export function summaryOf(overrides: Partial<ShiftSummary> = {}): ShiftSummary {
  return ShiftSummary.parse({
    facilityId: 'ZJ-HZ-DS07',
    shiftId: '2026-11-27/AM',
    start: '2026-11-27T00:00:00.000Z',
    end: '2026-11-27T06:00:00.000Z',
    closedAt: '2026-11-27T06:00:05.000Z',
    revision: 1,
    balanced: false,
    totals: { ...zero, handedOut: 412, delivered: 371, open: 2, orphans: 1 },
    byClass: { EXPRESS: zero, PARCEL: zero, LETTER: zero },
    bySegment: [],
    openItems: ['EA123456785CN', 'EB000000014CN'],
    orphanItems: ['EC000000028CN'],
    violations: { unconsentedDelivery: 0 },
    ...overrides,
  });
}

export function deliveryOf(message: DeliveryMessage, enqueuedAtMs = 0): Delivery {
  return { id: deliveryIdOf(message), enqueuedAtMs, message };
}

export function subscriptionOf(overrides: Partial<StoredSubscription> = {}): StoredSubscription {
  return {
    id: 'sub-1',
    name: 'test',
    channel: 'webhook',
    url: 'http://127.0.0.1:1/hook',
    secret: 'SECtest',
    facilities: ['ZJ-HZ-DS07'],
    deliver: ['alerts', 'summaries'],
    createdAt: '2026-11-27T00:00:00.000Z',
    createdBy: 'test',
    ...overrides,
  };
}
