import { ReplyError } from 'ioredis';

import { isDeterministicRedisError } from './ledger-store';

const reply = (message: string): Error => new (ReplyError as new (m: string) => Error)(message);

describe('isDeterministicRedisError', () => {
  it.each([
    'UNPROCESSABLE event 3: its hand-off already holds 32 distinct HANDOVER scans',
    'ERR Error running script (call to f_1): @user_script:12: Expected value but found invalid unicode escape code',
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'ERR user_script:1: attempt to compare nil with number',
  ])('takes a refusal of the input for bad input: %s', (message) => {
    expect(isDeterministicRedisError(reply(message))).toBe(true);
  });

  it.each([
    'LOADING Redis is loading the dataset in memory',
    'BUSY Redis is busy running a script',
    "OOM command not allowed when used memory > 'maxmemory'.",
    "READONLY You can't write against a read only replica.",
    'MOVED 3999 127.0.0.1:6381',
    'ASK 3999 127.0.0.1:6381',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'MASTERDOWN Link with MASTER is down',
    'NOREPLICAS Not enough good replicas to write.',
    'NOSCRIPT No matching script.',
  ])('retries what says "not now": %s', (message) => {
    expect(isDeterministicRedisError(reply(message))).toBe(false);
  });

  it('never takes a lost connection or a timeout for bad input', () => {
    expect(isDeterministicRedisError(new Error('Connection is closed.'))).toBe(false);
    expect(
      isDeterministicRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(false);
    expect(isDeterministicRedisError('UNPROCESSABLE as a string')).toBe(false);
  });
});
