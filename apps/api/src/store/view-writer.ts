import type { Alert, ShiftSummary } from '@app/contracts';
import { shiftSummaryKey } from '@app/contracts';
import type { RedisClient } from '@app/redis';

import { facilityIndexOf } from './alert-view';
import { viewKeys } from './keys';
import { defineViewScripts } from './view-scripts';

/** Writes consumed revisions into the views, one script call per batch (idempotent by revision). */
export class ViewWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { streamMaxLen: number; resolvedRetentionMs: number },
  ) {
    defineViewScripts(redis);
  }

  async writeAlerts(alerts: { alert: Alert; json: string }[], nowMs: number) {
    const args: string[] = [];
    for (const { alert, json } of alerts) {
      args.push(
        alert.alertId,
        String(alert.revision),
        alert.status,
        facilityIndexOf(alert),
        String(Date.parse(alert.updatedAt)),
        json,
      );
    }
    const [applied, stale, forgotten] = await this.redis.ingestAlerts(
      viewKeys.alerts(),
      viewKeys.alertMeta(),
      viewKeys.alertChanges(),
      viewKeys.alertIndexPrefix(),
      String(this.options.streamMaxLen),
      String(nowMs - this.options.resolvedRetentionMs),
      ...args,
    );
    return { applied, stale, forgotten };
  }

  async writeSummaries(summaries: { summary: ShiftSummary; json: string }[]) {
    const args: string[] = [];
    for (const { summary, json } of summaries) {
      args.push(
        shiftSummaryKey(summary.facilityId, summary.shiftId),
        summary.facilityId,
        String(summary.revision),
        String(Date.parse(summary.start)),
        json,
      );
    }
    const [applied, stale] = await this.redis.ingestSummaries(
      viewKeys.summaries(),
      viewKeys.summaryRevisions(),
      viewKeys.summaryIndexPrefix(),
      ...args,
    );
    return { applied, stale };
  }
}
