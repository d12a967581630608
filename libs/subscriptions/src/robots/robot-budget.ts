import { randomBytes } from 'node:crypto';

import type { RedisClient } from '@app/redis';

import { subscriptionKeys as k } from '../keys';
import { defineSubscriptionScripts } from '../scripts';

/** At most `max` sends to one robot within any `ms` (a sliding window). */
export interface RobotWindow {
  ms: number;
  max: number;
}

/**
 * Chat robots' rate budgets in Redis, per robot (robotKeyOf), as their vendors count them: every
 * subscription on a robot, from every notifier instance, takes its sends from the same budget, so
 * two subscriptions on one DingTalk robot send 20 messages a minute between them, not 40.
 */
export class RobotBudget {
  constructor(private readonly redis: RedisClient) {
    defineSubscriptionScripts(redis);
  }

  /** Takes a send now: 0 when taken, else when (ms) to try again (a window is full, or the robot is paused). */
  async take(robot: string, windows: RobotWindow[], nowMs: number): Promise<number> {
    const limits = windows.flatMap((w) => [String(w.ms), String(w.max)]);
    return this.redis.takeRobotSlot(
      k.robotSent(robot),
      k.robotPause(robot),
      String(nowMs),
      `${nowMs}-${randomBytes(6).toString('hex')}`,
      ...limits,
    );
  }

  /** Pauses the robot until `untilMs`: its vendor said "too fast" and blocks it meanwhile. */
  async pause(robot: string, untilMs: number, nowMs: number): Promise<void> {
    const ms = Math.max(1, Math.ceil(untilMs - nowMs));
    await this.redis.set(k.robotPause(robot), String(Math.ceil(untilMs)), 'PX', ms);
  }

  /** Until when the robot is paused (ms), or null. */
  async pausedUntil(robot: string, nowMs: number): Promise<number | null> {
    const until = Number((await this.redis.get(k.robotPause(robot))) ?? 0);
    return until > nowMs ? until : null;
  }
}
