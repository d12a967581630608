/**
 * Every Redis key of the ledger, in one place (the Lua scripts build the same names from the prefix).
 * All keys of one facility share the hash tag `{<facilityId>}`, so they live in one Redis Cluster slot
 * and one script can change them atomically.
 */
export const ledgerKeys = {
  prefix: (facilityId: string) => `hbm:{${facilityId}}:`,
  /** hash "<topic>:<partition>" -> last offset applied for this facility */
  watermarks: (facilityId: string) => `hbm:{${facilityId}}:wm`,
  /** hash "<topic>:<partition>:<offset>" -> why that scan was refused (refuseScan-1.lua) */
  refused: (facilityId: string) => `hbm:{${facilityId}}:refused`,
  /** string: the history of one hand-off's scans (MessagePack, lua/includes/history.lua) */
  handOff: (facilityId: string, handOffKey: string) => `hbm:{${facilityId}}:ho:${handOffKey}`,
  /** zset: hand-off keys with a closure waiting for its HANDOVER, scored by the wait deadline (ms) */
  held: (facilityId: string) => `hbm:{${facilityId}}:held`,
  /** zset: the facility's shifts with ledger data, scored by shift start (ms) */
  shifts: (facilityId: string) => `hbm:{${facilityId}}:shifts`,
  /** hash "<mailClass>|<to>|<counter>" -> count */
  ledger: (facilityId: string, shiftId: string) => `hbm:{${facilityId}}:ledger:${shiftId}`,
  /** set "<itemId>|<from>|<to>" of open hand-offs */
  open: (facilityId: string, shiftId: string) => `hbm:{${facilityId}}:open:${shiftId}`,
  /** set "<itemId>|<from>|<to>" of orphaned closures ("from" is empty for a FEEDBACK) */
  orphans: (facilityId: string, shiftId: string) => `hbm:{${facilityId}}:orphans:${shiftId}`,
  /** zset: open hand-offs with a deadline, "<shift>\t<item>|<from>|<to>\t<class>" scored by the deadline (ms) */
  due: (facilityId: string) => `hbm:{${facilityId}}:due`,
  /** hash: one alert's state; set: its items; set: the facility's alert ids */
  alert: (facilityId: string, alertId: string) => `hbm:{${facilityId}}:alert:${alertId}`,
  alertItems: (facilityId: string, alertId: string) => `hbm:{${facilityId}}:items:${alertId}`,
  alerts: (facilityId: string) => `hbm:{${facilityId}}:alerts`,
  /** set: alert ids and "S:<shift>" summaries changed since last published */
  dirty: (facilityId: string) => `hbm:{${facilityId}}:dirty`,
  /** zset: shifts not closed yet, by close time; hash: closed shift -> closed at (ms) */
  closes: (facilityId: string) => `hbm:{${facilityId}}:closes`,
  closed: (facilityId: string) => `hbm:{${facilityId}}:closed`,
  /** hash: chg, pub, rev, lastAt of one shift's summary */
  summary: (facilityId: string, shiftId: string) => `hbm:{${facilityId}}:summary:${shiftId}`,
  /** zset: messages to publish, scored by sequence */
  outbox: (facilityId: string) => `hbm:{${facilityId}}:outbox`,
  /** set: every facility with ledger data (one key for the whole system) */
  facilities: () => 'hbm:facilities',
  /** string: which watch instance holds a shard of facilities, with a time to live */
  watchLease: (shard: number) => `hbm:watch:lease:${shard}`,
  /** zset: live watch instances, scored by their last heartbeat (ms) */
  watchMembers: () => 'hbm:watch:members',
  /**
   * hash "<topic>:<partition>" -> next offset to consume, kept with the state: where a consumer of
   * `group` starts, rather than Kafka's committed offset, which Redis may be behind after losing writes.
   */
  positions: (group: string) => `hbm:positions:{${group}}`,
};

/**
 * The history a scan belongs to. A hand-off to a route is found by (item, route) alone, since a
 * FEEDBACK names the route but not who handed the item to it.
 */
export function handOffKey(itemId: string, from: string, to: string, toIsRoute: boolean): string {
  return toIsRoute ? `${itemId}|>|${to}` : `${itemId}|${from}|${to}`;
}
