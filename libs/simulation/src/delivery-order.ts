import type { DayMessage } from './postal-day';
import { Dice } from './random';

/** Well inside the ledger's default ORPHAN_WAIT_MINUTES (30). */
export const DEFAULT_SHUFFLE_WINDOW_MS = 20 * 60_000;

export interface ShuffleOptions {
  /**
   * No message is delivered after one that happens `windowMs` or more later than it. Keep it under
   * the system's orphan wait, so a closure delivered before its HANDOVER is matched, not orphaned,
   * when the day is replayed at its own pace.
   */
  windowMs?: number;
}

/** The day's messages in the order they happen (re-sent copies where they were sent again). */
export function inOrder(day: { readonly messages: readonly DayMessage[] }): DayMessage[] {
  return [...day.messages];
}

/**
 * The day's messages reordered, as partitions, retries and batching do: each message is delivered at
 * its time plus a random delay below `windowMs`, so closures can arrive before their HANDOVER, and
 * re-sent copies before their original. The same seed gives the same order. Only the order changes:
 * the ground truth holds for every order this returns.
 */
export function shuffled(
  day: { readonly messages: readonly DayMessage[] },
  seed: number,
  options: ShuffleOptions = {},
): DayMessage[] {
  const windowMs = options.windowMs ?? DEFAULT_SHUFFLE_WINDOW_MS;
  if (!(windowMs >= 0 && Number.isFinite(windowMs)))
    throw new RangeError('windowMs must be a finite number >= 0');
  const dice = new Dice(seed);
  const messages = day.messages;
  const deliveredAt = new Float64Array(messages.length);
  const order = new Uint32Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    deliveredAt[i] = messages[i].atMs + dice.next() * windowMs;
    order[i] = i;
  }
  // ties (windowMs 0, equal draws) keep the day's order
  order.sort((a, b) => deliveredAt[a] - deliveredAt[b] || a - b);
  return Array.from(order, (i) => messages[i]);
}
