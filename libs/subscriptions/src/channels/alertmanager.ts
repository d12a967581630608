import type { Alert } from '@app/contracts';

export interface AlertmanagerOptions {
  /** where `generatorURL` points: `<base>/api/v1/alerts/<alertId>` of the API */
  publicBaseUrl: string;
  /**
   * how far ahead a FIRING alert's `endsAt` is set: a few re-send intervals (as Prometheus does, 4),
   * so that Alertmanager keeps it while the notifier re-sends it, and resolves it by itself only when
   * nobody has re-sent it for that long (every notifier down)
   */
  horizonMs: number;
}

function itemsAnnotation(alert: Alert): string {
  const shown = alert.items.slice(0, 100).join(', ');
  const more = alert.itemCount - Math.min(100, alert.items.length);
  return more > 0 ? `${shown} ... and ${more} more` : shown;
}

/** An alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/**
 * One Alertmanager alert: identified by its labels, so that every revision and every re-send of an
 * alert updates the same one. FIRING: `endsAt` = now + the horizon; RESOLVED: its own `endsAt`, in the
 * past, which resolves it.
 */
export function alertmanagerAlertOf(
  alert: Alert,
  now: Date,
  options: AlertmanagerOptions,
): AlertmanagerAlert {
  const labels: Record<string, string> = {
    alertname: alert.kind,
    alertId: alert.alertId,
    severity: alert.severity,
  };
  const optional = { facility: alert.facilityId, shift: alert.shiftId, from: alert.from, to: alert.to };
  for (const [name, value] of Object.entries(optional)) if (value !== null) labels[name] = value;
  const annotations: Record<string, string> = {
    summary: alert.text,
    items: itemsAnnotation(alert),
    itemCount: String(alert.itemCount),
    revision: String(alert.revision),
  };
  if (alert.acknowledgedBy) annotations.acknowledgedBy = alert.acknowledgedBy;
  return {
    labels,
    annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt ?? new Date(now.getTime() + options.horizonMs).toISOString(),
    generatorURL: `${options.publicBaseUrl.replace(/\/+$/, '')}/api/v1/alerts/${encodeURIComponent(alert.alertId)}`,
  };
}

/** Alerts per request, as a Prometheus sends them in batches (64 there). */
export const ALERTMANAGER_BATCH = 100;

/** `POST <base>/api/v2/alerts` with an array of alerts. */
export function alertmanagerRequest(
  baseUrl: string,
  alerts: AlertmanagerAlert[],
): { url: string; headers: Record<string, string>; body: string } {
  return {
    url: `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  };
}
