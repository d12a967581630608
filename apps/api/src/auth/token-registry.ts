import { createHash, timingSafeEqual } from 'node:crypto';

import { Principal } from './principal';
import type { ApiToken } from './tokens-file';

/**
 * The tokens of TOKENS_FILE. A presented token is hashed (SHA-256) and compared with every stored
 * digest in constant time, so neither the comparison nor a lookup table leaks how much of it matched.
 */
export class TokenRegistry {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly ApiToken[]) {
    this.entries = tokens.map((t) => ({
      digest: Buffer.from(t.sha256, 'hex'),
      principal: new Principal(t.name, t.role, t.facilities),
    }));
  }

  /** The principal of a bearer token, or null when it is unknown. */
  authenticate(token: string): Principal | null {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.principal;
    }
    return found;
  }
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
