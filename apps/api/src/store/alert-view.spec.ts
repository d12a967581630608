import { compareIds } from '../stream/alert-stream.hub';
import { decodeCursor, encodeCursor } from './alert-view';

describe('an alert page cursor', () => {
  it('names the position of the last alert of a page', () => {
    const cursor = encodeCursor({ score: 1_764_000_000_123, id: 'a1b2c3' });
    expect(decodeCursor(cursor)).toEqual({ score: 1_764_000_000_123, id: 'a1b2c3' });
  });

  it('is refused when it is not one of ours', () => {
    expect(decodeCursor('bm90IGEgY3Vyc29y')).toBeNull();
    expect(decodeCursor('')).toBeNull();
  });
});

describe('stream ids', () => {
  it('compare as numbers, milliseconds first', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('10-2', '10-10')).toBe(-1);
    expect(compareIds('10-10', '10-10')).toBe(0);
    expect(compareIds('11-0', '10-99')).toBe(1);
  });
});
