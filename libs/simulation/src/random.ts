/**
 * A small seeded random source (mulberry32 over a splitmix32-scrambled seed): the same seed gives the
 * same sequence on every machine, and nearby seeds (1, 2, 3) give unrelated sequences.
 */
// Module-level aliases: inside a vm context (Jest's) every global lookup goes through an interceptor
// and costs more than the arithmetic itself.
const imul = Math.imul;
const floor = Math.floor;

export class Dice {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`a seed is an integer, got ${seed}`);
    // splitmix32 of the seed (mixed with the high bits, so seeds beyond 2^32 differ too)
    let z = ((seed >>> 0) ^ Math.floor(seed / 4_294_967_296)) + 0x9e3779b9;
    z = imul(z ^ (z >>> 16), 0x85ebca6b);
    z = imul(z ^ (z >>> 13), 0xc2b2ae35);
    this.state = (z ^ (z >>> 16)) >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    return list[floor(this.next() * list.length)];
  }

  /** One of the keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>, keys: readonly K[]): K {
    let total = 0;
    for (const key of keys) total += weights[key];
    let roll = this.next() * total;
    let last = keys[0];
    for (const key of keys) {
      if (weights[key] <= 0) continue;
      last = key;
      roll -= weights[key];
      if (roll < 0) return key;
    }
    return last; // rounding left a sliver of the total: the last key that can be drawn
  }
}
