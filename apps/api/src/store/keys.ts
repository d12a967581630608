import type { AlertStatus } from '@app/contracts';

/** The index of alerts with no facility (CONSUMER_LAG); `~` is not a facility id. */
export const NO_FACILITY = '~';
/** Every facility, or every status, in an index name; `*` is neither a facility id nor a status. */
export const ANY = '*';

const PREFIX = 'hbm:{api}:';

/**
 * Every Redis key of the API's views, in one place (the Lua scripts in ./lua build the index names
 * from the prefixes given here). All share the hash tag `{api}`: one Redis Cluster slot, so one
 * script call changes a whole batch of revisions atomically.
 */
export const viewKeys = {
  /** hash alertId -> JSON of the latest revision */
  alerts: () => `${PREFIX}alerts`,
  /** hash alertId -> "<revision>\t<status>\t<facilityId or ~>" of the latest revision */
  alertMeta: () => `${PREFIX}alerts:meta`,
  /** the prefix of the alert indexes `<prefix><facilityId|~|*>:<status|*>` */
  alertIndexPrefix: () => `${PREFIX}alerts:idx:`,
  /** zset alertId scored by updatedAt (ms): newest first is ZRANGE ... REV */
  alertIndex: (facilityId: string, status: AlertStatus | typeof ANY) =>
    `${PREFIX}alerts:idx:${facilityId}:${status}`,
  /** stream: every accepted alert revision (fields f: facility or ~, a: JSON), capped */
  alertChanges: () => `${PREFIX}alerts:changes`,
  /** hash "<facilityId>|<shiftId>" -> JSON of the latest summary revision */
  summaries: () => `${PREFIX}summaries`,
  /** hash "<facilityId>|<shiftId>" -> latest revision */
  summaryRevisions: () => `${PREFIX}summaries:rev`,
  /** the prefix of the per-facility summary indexes `<prefix><facilityId>` */
  summaryIndexPrefix: () => `${PREFIX}summaries:idx:`,
  /** zset "<facilityId>|<shiftId>" scored by shift start (ms) */
  summaryIndex: (facilityId: string) => `${PREFIX}summaries:idx:${facilityId}`,
};
