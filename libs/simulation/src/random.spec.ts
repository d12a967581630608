import { Dice } from './random';

describe('the seeded dice', () => {
  const draws = (seed: number, n = 1_000) => {
    const dice = new Dice(seed);
    return Array.from({ length: n }, () => dice.next());
  };

  it('repeats the same sequence for the same seed, and gives unrelated ones for nearby seeds', () => {
    expect(draws(1)).toEqual(draws(1));
    expect(draws(1)).not.toEqual(draws(2));
    expect(draws(2 ** 32 + 1)).not.toEqual(draws(1));
    expect(draws(-1)).not.toEqual(draws(1));
    const mean = draws(3, 100_000).reduce((a, b) => a + b, 0) / 100_000;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    expect(draws(4, 100_000).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws integers within bounds, and weighted keys in proportion, never one of weight 0', () => {
    const dice = new Dice(9);
    const counts = { A: 0, B: 0, C: 0 };
    for (let i = 0; i < 30_000; i++) counts[dice.weighted({ A: 1, B: 2, C: 0 }, ['A', 'B', 'C'])]++;
    expect(counts.C).toBe(0);
    expect(counts.B / counts.A).toBeGreaterThan(1.8);
    expect(counts.B / counts.A).toBeLessThan(2.2);
    const ints = Array.from({ length: 5_000 }, () => dice.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    expect(() => new Dice(1.5)).toThrow(RangeError);
  });
});
