import { createHmac } from 'node:crypto';

import type { ChannelFormat } from './channel';
import { robotFailureOf } from './channel';
import { MENTIONS_ROOM_BYTES, mentionsFor, packMarkdown } from './format';

/** Feishu's `sign`: Base64 of HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an empty message. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** Feishu takes request bodies up to 20 KB; the card's markdown stays well under it. */
export const FEISHU_MAX_CONTENT_BYTES = 16_000;

/**
 * Feishu/Lark custom bot: an interactive card with a header and one markdown element; with a secret,
 * `timestamp` (s) and `sign` in the JSON body. The bot answers `{"code":0}` on success. Mentions are
 * `<at id=...></at>` in the card's markdown (an open_id or user_id; Feishu has no mention by mobile).
 */
export const feishu: ChannelFormat = {
  chat: true,
  maxDeliveries: 500,
  request(sub, due, now) {
    const packed = packMarkdown(due, FEISHU_MAX_CONTENT_BYTES - (sub.mentions ? MENTIONS_ROOM_BYTES : 0));
    const mentions = mentionsFor(sub, due, packed.deliveryIds);
    const ats = mentions ? mentions.userIds.map((id) => `<at id=${id}></at>`).join(' ') : '';
    const content = packed.text.replace(/^### .*\n?/, '');
    const critical = due.some(
      (d) =>
        d.message.type === 'alert' &&
        d.message.alert.status === 'FIRING' &&
        d.message.alert.severity === 'critical',
    );
    const signed: Record<string, string> = {};
    if (sub.secret) {
      const timestamp = Math.floor(now.getTime() / 1000);
      signed.timestamp = String(timestamp);
      signed.sign = feishuSign(sub.secret, timestamp);
    }
    const body = JSON.stringify({
      ...signed,
      msg_type: 'interactive',
      card: {
        header: { title: { tag: 'plain_text', content: packed.title }, template: critical ? 'red' : 'blue' },
        elements: [{ tag: 'markdown', content: ats ? `${content}\n${ats}` : content }],
      },
    });
    return {
      url: sub.url,
      headers: { 'content-type': 'application/json' },
      body,
      deliveryIds: packed.deliveryIds,
    };
  },
  failureOf: (reply) => robotFailureOf(reply, 'feishu'),
};
