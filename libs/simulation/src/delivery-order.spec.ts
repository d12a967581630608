import { DEFAULT_SHUFFLE_WINDOW_MS, inOrder, shuffled } from './delivery-order';
import { generatePostalDay, type DayMessage } from './postal-day';

const MINUTE = 60_000;

describe('delivery orders', () => {
  const day = generatePostalDay({
    seed: 21,
    items: 3_000,
    faults: { resent: 0.05, doubleScan: 0.05, orphanClosure: 0.02 },
  });

  it('sends the day in the order it happens', () => {
    const order = inOrder(day);
    expect(order).toEqual(day.messages);
    expect(order).not.toBe(day.messages);
  });

  it('shuffles into a permutation of the day, the same for the same seed', () => {
    const a = shuffled(day, 5);
    expect(a).toHaveLength(day.messages.length);
    expect(new Set(a.map((m) => m.seq)).size).toBe(day.messages.length);
    expect(shuffled(day, 5)).toEqual(a);
    expect(shuffled(day, 6).map((m) => m.seq)).not.toEqual(a.map((m) => m.seq));
    expect(a.map((m) => m.seq)).not.toEqual(day.messages.map((m) => m.seq));
  });

  it.each([DEFAULT_SHUFFLE_WINDOW_MS, 5 * MINUTE])(
    'never delivers a message after one that happens %i ms or more later',
    (windowMs) => {
      const order = shuffled(day, 8, { windowMs });
      // the earliest time among the messages delivered after each position
      let earliestLater = Infinity;
      let largestDisplacement = 0;
      for (let i = order.length - 1; i >= 0; i--) {
        largestDisplacement = Math.max(largestDisplacement, order[i].atMs - earliestLater);
        earliestLater = Math.min(earliestLater, order[i].atMs);
      }
      expect(largestDisplacement).toBeLessThan(windowMs);
      expect(largestDisplacement).toBeGreaterThan(windowMs / 2);
    },
  );

  it('delivers some closures before their HANDOVER, each within the window of it', () => {
    const windowMs = DEFAULT_SHUFFLE_WINDOW_MS;
    const order = shuffled(day, 13, { windowMs });
    const handovers = new Map<number, DayMessage>();
    let closuresFirst = 0;
    let resentFirst = 0;
    const sent = new Set<string>();
    for (const message of order) {
      if (message.role === 'HANDOVER') handovers.set(message.handOff, message);
      if (message.role === 'CLOSURE' && !handovers.has(message.handOff)) {
        closuresFirst++;
        const handover = day.messages.find(
          (m) => m.handOff === message.handOff && m.role === 'HANDOVER',
        ) as DayMessage;
        expect(message.atMs - handover.atMs).toBeLessThan(windowMs);
      }
      if (message.role === 'RESENT' && !sent.has(message.value)) resentFirst++;
      sent.add(message.value);
    }
    expect(closuresFirst).toBeGreaterThan(10);
    expect(resentFirst).toBeGreaterThan(0);
  });

  it('keeps the day order with a window of 0, and refuses a negative one', () => {
    expect(shuffled(day, 1, { windowMs: 0 })).toEqual(day.messages);
    expect(() => shuffled(day, 1, { windowMs: -1 })).toThrow(RangeError);
  });
});
