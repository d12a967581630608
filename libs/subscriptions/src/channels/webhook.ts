import { createHmac } from 'node:crypto';

import type { ChannelFormat } from './channel';
import { httpFailureOf } from './channel';

/** The hex HMAC-SHA256 of the exact body bytes, as sent in `X-Signature: sha256=<hex>`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const MAX_BODY_BYTES = 1_000_000;

/**
 * Signed webhook: a JSON POST carrying a list of alert and summary revisions in queue order, up to
 * 100 or about 1 MB per request. Any 2xx answer means delivered.
 */
export const webhook: ChannelFormat = {
  chat: false,
  maxDeliveries: 100,
  request(sub, due, now) {
    const deliveries: object[] = [];
    const ids: string[] = [];
    let bytes = 0;
    for (const d of due) {
      const item = { id: d.id, ...d.message };
      const size = Buffer.byteLength(JSON.stringify(item), 'utf8');
      if (ids.length > 0 && bytes + size > MAX_BODY_BYTES) break;
      deliveries.push(item);
      ids.push(d.id);
      bytes += size;
    }
    const body = JSON.stringify({
      subscriptionId: sub.id,
      subscription: sub.name,
      sentAt: now.toISOString(),
      deliveries,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sub.secret) headers['x-signature'] = webhookSignature(sub.secret, body);
    return { url: sub.url, headers, body, deliveryIds: ids };
  },
  failureOf: httpFailureOf,
};
