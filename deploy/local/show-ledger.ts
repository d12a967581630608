/**
 * `npm run ledger:show -- FACILITY [SHIFT_ID]`: prints a facility's shift ledgers from Redis
 * (REDIS_URL, default the local Redis that `npm start` runs: redis://127.0.0.1:6380). Without a shift
 * id: one line per shift, then the newest shift in full.
 */
import { Redis } from 'ioredis';

import { listShifts, readShiftLedger } from '@app/ledger';

async function main(): Promise<void> {
  const [facilityId, shiftId] = process.argv.slice(2);
  if (!facilityId) throw new Error('usage: npm run ledger:show -- FACILITY [SHIFT_ID]');
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
