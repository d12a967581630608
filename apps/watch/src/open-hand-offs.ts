import { ledgerKeys } from '@app/ledger';
import type { RedisClient } from '@app/redis';

/** facilities asked at once: enough to fill the connection's pipeline, not to flood Redis */
const CHUNK = 200;

/**
 * How many hand-offs are open in the shifts not yet closed of `facilities` (for
 * `handover_open_handoffs`). Per facility: ZRANGE of its shifts awaiting close (one to three, usually),
 * then SCARD of each one's open set, which is O(1) in Redis and equals the shift ledger's `open`
 * counter (the same Lua step moves both). Shifts already closed are left out: what stays open in them
 * is reported by their summary and SHIFT_UNBALANCED alert, and counting them would mean every shift of
 * the DEDUP_DAYS window. Reading the ledger hashes instead would fetch every counter of every segment.
 */
export async function countOpenHandOffs(redis: RedisClient, facilities: string[]): Promise<number> {
  let open = 0;
  for (let from = 0; from < facilities.length; from += CHUNK) {
    const chunk = facilities.slice(from, from + CHUNK);
    const shifts = await Promise.all(chunk.map((f) => redis.zrange(ledgerKeys.closes(f), 0, -1)));
    const sizes = await Promise.all(
      chunk.flatMap((f, i) => shifts[i].map((shift) => redis.scard(ledgerKeys.open(f, shift)))),
    );
    for (const n of sizes) open += n;
  }
  return open;
}
