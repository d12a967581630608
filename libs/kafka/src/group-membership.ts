import type { Consumer } from 'kafkajs';

/**
 * Whether the consumer is at work in its group, for the readiness check: it has joined (and not since
 * crashed, stopped or begun a rebalance), and kafkajs has shown a sign of life recently: a fetch (one
 * at least every few seconds while it runs, even on an idle topic), a heartbeat (sent also from a batch
 * that waits for Redis), or the end of a batch.
 */
export class GroupMembership {
  private joined = false;
  private lastSignOfLife = 0;

  follow(consumer: Consumer): void {
    const { GROUP_JOIN, HEARTBEAT, FETCH, END_BATCH_PROCESS, REBALANCING, CRASH, STOP, DISCONNECT } =
      consumer.events;
    const alive = () => (this.lastSignOfLife = Date.now());
    consumer.on(GROUP_JOIN, () => {
      this.joined = true;
      alive();
    });
    for (const event of [HEARTBEAT, FETCH, END_BATCH_PROCESS] as const) consumer.on(event, alive);
    for (const event of [REBALANCING, CRASH, STOP, DISCONNECT] as const)
      consumer.on(event, () => (this.joined = false));
  }

  /** Joined, with a sign of life within `withinMs` of `nowMs`. */
  isActive(nowMs: number, withinMs: number): boolean {
    return this.joined && nowMs - this.lastSignOfLife <= withinMs;
  }
}
