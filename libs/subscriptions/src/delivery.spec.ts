import { dedupKeyOf, deliveryIdOf, wants } from './delivery';
import { alertOf, subscriptionOf, summaryOf } from './testing/fixtures';

const alert = { type: 'alert' as const, alert: alertOf({ revision: 3 }) };
const summary = { type: 'summary' as const, summary: summaryOf({ revision: 2 }) };
const lag = {
  type: 'alert' as const,
  alert: alertOf({
    kind: 'CONSUMER_LAG',
    alertId: 'CONSUMER_LAG|hbm-ledger',
    facilityId: null,
    shiftId: null,
    from: null,
    to: null,
  }),
};

describe('delivery ids', () => {
  it('name one revision of one alert or one shift summary', () => {
    expect(deliveryIdOf(alert)).toBe(`A|${alert.alert.alertId}|3`);
    expect(dedupKeyOf(summary)).toBe('S|ZJ-HZ-DS07|2026-11-27/AM');
    expect(deliveryIdOf(summary)).toBe('S|ZJ-HZ-DS07|2026-11-27/AM|2');
  });
});

describe('wants', () => {
  it('gives a subscription the alerts and summaries of its facilities', () => {
    const sub = subscriptionOf();
    expect(wants(sub, alert)).toBe(true);
    expect(wants(sub, summary)).toBe(true);
    expect(wants(subscriptionOf({ facilities: ['ZJ-HZ-PC01'] }), alert)).toBe(false);
  });

  it('honours what to deliver and the alert kinds', () => {
    expect(wants(subscriptionOf({ deliver: ['summaries'] }), alert)).toBe(false);
    expect(wants(subscriptionOf({ deliver: ['alerts'] }), summary)).toBe(false);
    expect(wants(subscriptionOf({ kinds: ['ORPHAN_CLOSURE'] }), alert)).toBe(false);
    expect(wants(subscriptionOf({ kinds: ['FEEDBACK_OVERDUE'] }), alert)).toBe(true);
  });

  it('gives alerts of no facility (consumer lag) only to subscriptions of every facility', () => {
    expect(wants(subscriptionOf(), lag)).toBe(false);
    expect(wants(subscriptionOf({ facilities: ['*'] }), lag)).toBe(true);
  });

  it('never queues summaries for Alertmanager, which takes alerts only', () => {
    expect(wants(subscriptionOf({ channel: 'alertmanager' }), summary)).toBe(false);
    expect(wants(subscriptionOf({ channel: 'alertmanager' }), alert)).toBe(true);
  });
});
