import type { Alert } from '@app/contracts';

import type { ChannelFormat } from './channel';
import { httpFailureOf } from './channel';

export interface AlertmanagerOptions {
  /** where `generatorURL` points: `<base>/api/v1/alerts/<alertId>` of the API */
  publicBaseUrl: string;
  /**
   * Alertmanager resolves an alert nobody re-sends after its resolve_timeout. The notifier sends an
   * alert on each revision only, so a FIRING alert carries `endsAt` = send time + this long.
   */
  firingHoldMs: number;
}

function itemsAnnotation(alert: Alert): string {
  const shown = alert.items.slice(0, 100).join(', ');
  const more = alert.itemCount - Math.min(100, alert.items.length);
  return more > 0 ? `${shown} ... and ${more} more` : shown;
}

/** One Alertmanager alert: identified by its labels, so every revision of an alert updates the same one. */
export function alertmanagerAlertOf(alert: Alert, now: Date, options: AlertmanagerOptions): object {
  const labels: Record<string, string> = {
    alertname: alert.kind,
    alertId: alert.alertId,
    severity: alert.severity,
  };
  const optional = { facility: alert.facilityId, shift: alert.shiftId, from: alert.from, to: alert.to };
  for (const [name, value] of Object.entries(optional)) if (value !== null) labels[name] = value;
  return {
    labels,
    annotations: {
      summary: alert.text,
      items: itemsAnnotation(alert),
      itemCount: String(alert.itemCount),
      revision: String(alert.revision),
    },
    startsAt: alert.startsAt,
    endsAt: alert.endsAt ?? new Date(now.getTime() + options.firingHoldMs).toISOString(),
    generatorURL: `${options.publicBaseUrl.replace(/\/+$/, '')}/api/v1/alerts/${encodeURIComponent(alert.alertId)}`,
  };
}

/**
 * Alertmanager: `POST <url>/api/v2/alerts` with an array of alerts (up to 100 per request), so that its
 * routing, grouping and silences apply. Summaries are never queued for it (they are not alerts).
 * Revisions go in queue order: Alertmanager keeps one alert per label set, so the newest one wins.
 */
export function alertmanager(options: AlertmanagerOptions): ChannelFormat {
  return {
    chat: false,
    maxDeliveries: 100,
    request(sub, due, now) {
      const alerts = due.flatMap((d) =>
        d.message.type === 'alert' ? [alertmanagerAlertOf(d.message.alert, now, options)] : [],
      );
      return {
        url: `${sub.url.replace(/\/+$/, '')}/api/v2/alerts`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        deliveryIds: due.map((d) => d.id),
      };
    },
    failureOf: httpFailureOf,
  };
}
