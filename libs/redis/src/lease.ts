import { join } from 'node:path';

import type { Result } from 'ioredis';

import type { RedisClient } from './redis-client';
import { defineScripts } from './scripts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    claimLease(lease: string, holder: string, ttlMs: string): Result<number, Context>;
    releaseLease(lease: string, holder: string): Result<number, Context>;
  }
}

/*
 * A lease in Redis: a key holding its holder's id with a time to live. A holder that stops renewing
 * (killed) loses it after the time to live; a clean stop gives it back at once. The watch's shards, the
 * active lag monitor and each subscription's sender are leases.
 */

const LEASE_DIR = join(__dirname, 'lua');
const LEASE_FILES = ['claimLease-1.lua', 'releaseLease-1.lua'];

/** Takes or renews the lease at `key` for `holder`; true when `holder` has it now. */
export async function claimLease(
  redis: RedisClient,
  key: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  defineScripts(redis, LEASE_DIR, LEASE_FILES);
  return (await redis.claimLease(key, holder, String(ttlMs))) === 1;
}

/** Gives the lease at `key` up if `holder` has it; true when it did. */
export async function releaseLease(redis: RedisClient, key: string, holder: string): Promise<boolean> {
  defineScripts(redis, LEASE_DIR, LEASE_FILES);
  return (await redis.releaseLease(key, holder)) === 1;
}
