/**
 * `npm run ledger:show -- FACILITY [SHIFT_ID]`: prints a facility's shift ledgers from Redis
 * (REDIS_URL, default the local Redis that `npm start` runs: redis://127.0.0.1:6380). Without a shift
 * id: one line per shift, then the newest shift in full.
 */
import { Redis } from 'ioredis';

import { listShifts, readShiftLedger } from '@app/ledger';

import { parseCommandLine, parseOrExit, UsageError } from './cli-args';

const USAGE = `npm run ledger:show -- FACILITY [SHIFT_ID]

Prints a facility's shift ledgers from Redis: one line per shift (or for SHIFT_ID only: balanced or not,
its counters), then the newest of them in full.
  -h, --help

Environment: REDIS_URL (default redis://127.0.0.1:6380, the Redis of npm start).`;

function parseShowLedgerArgs(argv: readonly string[]): { facilityId: string; shiftId: string | undefined } {
  const { positionals } = parseCommandLine(argv, {}, { allowPositionals: true });
  const [facilityId, shiftId, ...extra] = positionals;
  if (!facilityId) throw new UsageError('FACILITY missing');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra.join(' ')} after SHIFT_ID`);
  return { facilityId, shiftId };
}

async function main(): Promise<void> {
  const { facilityId, shiftId } = parseOrExit({ name: 'ledger:show', usage: USAGE }, () =>
    parseShowLedgerArgs(process.argv.slice(2)),
  );
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6380', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  await redis.connect();
  try {
    const shifts = shiftId ? [shiftId] : await listShifts(redis, facilityId);
    if (shifts.length === 0) {
      console.log(`no ledger data for ${facilityId} (is the consumer running, and were scans sent?)`);
      return;
    }
    for (const id of shifts) {
      const { totals } = await readShiftLedger(redis, facilityId, id);
      const balanced = totals.open === 0 && totals.orphans === 0 ? 'balanced' : 'NOT balanced';
      console.log(
        `${facilityId} ${id}: ${balanced}  ${Object.entries(totals)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    }
    const newest = await readShiftLedger(redis, facilityId, shifts[shifts.length - 1]);
    console.log(JSON.stringify(newest, null, 2));
  } finally {
    redis.disconnect();
  }
}

main().catch((error: Error) => {
  console.error(`ledger:show: ${error.message}`);
  process.exit(1);
});
