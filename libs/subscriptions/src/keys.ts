/**
 * Every Redis key of the subscriptions and their deliveries, in one place (the Lua scripts receive
 * them as KEYS). All share the hash tag `{subs}`: one Redis Cluster slot, so a script may touch the
 * keys of several subscriptions and the index at once. Subscriptions are few (people subscribe),
 * so one slot is not a hot spot.
 */
const prefix = 'hbm:{subs}:';

export const subscriptionKeys = {
  /** zset: subscription ids, scored by creation time (ms) */
  ids: () => `${prefix}ids`,
  /** string: the subscription as JSON, secret included (never returned by the store) */
  subscription: (id: string) => `${prefix}sub:${id}`,
  /** hash: delivered, failedAttempts, abandoned, lastDeliveredAt, lastAttemptAt, lastError, nextAttemptAt */
  state: (id: string) => `${prefix}state:${id}`,
  /** zset: pending delivery ids ("A|<alertId>|<rev>", "S|<summaryKey>|<rev>"), scored by enqueue time (ms) */
  queue: (id: string) => `${prefix}queue:${id}`,
  /** hash: delivery id -> the message as JSON ({"type":"alert"|"summary","message":...}) */
  bodies: (id: string) => `${prefix}bodies:${id}`,
  /** hash: "A|<alertId>" or "S|<summaryKey>" -> highest revision enqueued (makes Kafka redelivery harmless) */
  seen: (id: string) => `${prefix}seen:${id}`,
  /** zset: the same fields, scored by when they were last enqueued (ms), to forget old ones */
  seenAt: (id: string) => `${prefix}seenat:${id}`,
  /**
   * zset: requests sent to one chat robot (scored by ms), over every subscription that names it, for
   * its vendor's rate limit; `robot` is robotKeyOf(...), a digest of the robot's token
   */
  robotSent: (robot: string) => `${prefix}robot:${robot}:sent`,
  /** string: until when (ms) a robot is paused after its vendor answered "too fast"; expires then */
  robotPause: (robot: string) => `${prefix}robot:${robot}:pause`,
  /**
   * Alertmanager subscriptions, hash: alert id -> what is re-sent, as JSON ({alert, forgetAtMs,
   * refused}); firing alerts stay until resolved, resolved ones for a few re-send intervals
   */
  amAlerts: (id: string) => `${prefix}am:${id}:alerts`,
  /** hash: alert id -> revision in amAlerts (a late, older revision never replaces a newer one) */
  amRevisions: (id: string) => `${prefix}am:${id}:revisions`,
  /** hash: alert id -> revisions folded into it since it was last sent (to send promptly, and count) */
  amChanged: (id: string) => `${prefix}am:${id}:changed`,
  /** hash: resendAt (ms), and per Alertmanager URL i: `<i>:failures`, `<i>:retryAt`, `<i>:full` */
  amTargets: (id: string) => `${prefix}am:${id}:targets`,
  /** string: the notifier instance sending this subscription's deliveries now, with a time to live */
  lease: (id: string) => `${prefix}lease:${id}`,
  /** zset: subscriptions with pending deliveries, scored by when to try them next (ms) */
  due: () => `${prefix}due`,
};

/** Every key that belongs to one subscription (deleted with it). */
export function keysOfSubscription(id: string): string[] {
  return [
    subscriptionKeys.subscription(id),
    subscriptionKeys.state(id),
    subscriptionKeys.queue(id),
    subscriptionKeys.bodies(id),
    subscriptionKeys.seen(id),
    subscriptionKeys.seenAt(id),
    subscriptionKeys.lease(id),
    subscriptionKeys.amAlerts(id),
    subscriptionKeys.amRevisions(id),
    subscriptionKeys.amChanged(id),
    subscriptionKeys.amTargets(id),
  ];
}
