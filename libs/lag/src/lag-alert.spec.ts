import { Alert } from '@app/contracts';

import { lagAlertId, nextLagAlert, type LagAlertState } from './lag-alert';
import type { GroupLag, LagStatus } from './lag-report';

const MIN = 60_000;
const lagOf = (status: LagStatus, lag = 500, lagSeconds = 42): GroupLag => ({
  group: 'handover-ledger',
  status,
  members: 0,
  lag,
  lagSeconds,
  partitions: [],
});

describe('the CONSUMER_LAG alert of a group', () => {
  it('has a stable id per group', () => {
    expect(lagAlertId('handover-ledger')).toBe(lagAlertId('handover-ledger'));
    expect(lagAlertId('handover-ledger')).not.toBe(lagAlertId('handover-api'));
  });

  it('does not fire before the group has been not OK for the alert time', () => {
    expect(nextLagAlert(null, lagOf('STALL'), 0, 5 * MIN - 1, 5 * MIN)).toBeNull();
    expect(nextLagAlert(null, lagOf('OK'), null, 10 * MIN, 5 * MIN)).toBeNull();
  });

  it('fires as a valid Alert naming the group, status, lag and lag seconds', () => {
    const next = nextLagAlert(null, lagOf('STALL'), 0, 5 * MIN, 5 * MIN) as LagAlertState;
    expect(Alert.parse(next.alert)).toEqual(next.alert);
    expect(next).toMatchObject({ lagStatus: 'STALL', sent: false });
    expect(next.alert).toMatchObject({
      alertId: lagAlertId('handover-ledger'),
      kind: 'CONSUMER_LAG',
      status: 'FIRING',
      severity: 'warning',
      facilityId: null,
      shiftId: null,
      from: null,
      to: null,
      itemCount: 0,
      items: [],
      revision: 1,
      startsAt: new Date(5 * MIN).toISOString(),
      endsAt: null,
    });
    expect(next.alert.text).toBe(
      'Consumer group handover-ledger is STALL: lag 500 messages, 42 s behind (0 live members)',
    );
  });

  it('takes a new revision when the status changes while firing, and none while it stays', () => {
    const fired = {
      ...(nextLagAlert(null, lagOf('STALL'), 0, 5 * MIN, 5 * MIN) as LagAlertState),
      sent: true,
    };
    expect(nextLagAlert(fired, lagOf('STALL', 900, 80), 0, 6 * MIN, 5 * MIN)).toBeNull();
    const stop = nextLagAlert(fired, lagOf('STOP'), 0, 7 * MIN, 5 * MIN) as LagAlertState;
    expect(stop.alert).toMatchObject({ status: 'FIRING', revision: 2, startsAt: fired.alert.startsAt });
    expect(stop.lagStatus).toBe('STOP');
  });

  it('resolves when the group is OK again, and fires again later under the next revision', () => {
    const fired = nextLagAlert(null, lagOf('WARN'), 0, 5 * MIN, 5 * MIN) as LagAlertState;
    const resolved = nextLagAlert(fired, lagOf('OK', 0, 0), null, 8 * MIN, 5 * MIN) as LagAlertState;
    expect(resolved.alert).toMatchObject({
      status: 'RESOLVED',
      revision: 2,
      endsAt: new Date(8 * MIN).toISOString(),
    });
    expect(resolved.alert.text).toContain('is OK again');
    expect(nextLagAlert(resolved, lagOf('OK', 0, 0), null, 9 * MIN, 5 * MIN)).toBeNull();
    const again = nextLagAlert(resolved, lagOf('STOP'), 10 * MIN, 15 * MIN, 5 * MIN) as LagAlertState;
    expect(again.alert).toMatchObject({ status: 'FIRING', revision: 3, endsAt: null });
  });

  it('does not resolve an alert that was never fired, nor fire for a short blip', () => {
    expect(nextLagAlert(null, lagOf('OK'), null, 0, 5 * MIN)).toBeNull();
    expect(nextLagAlert(null, lagOf('WARN'), 4 * MIN, 5 * MIN, 5 * MIN)).toBeNull();
  });
});
