import { createHmac } from 'node:crypto';

import type { ChannelFormat } from './channel';
import { robotFailureOf } from './channel';
import { MENTIONS_ROOM_BYTES, mentionsFor, packMarkdown } from './format';

/** DingTalk's `sign`: Base64 of HMAC-SHA256 keyed by the secret over `timestamp + "\n" + secret` (not yet URL-encoded). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** Markdown text kept under DingTalk's message size limit (20,000 bytes) with room for the JSON around it. */
export const DINGTALK_MAX_TEXT_BYTES = 18_000;

/**
 * DingTalk custom robot: a markdown message; with a secret, signed with `timestamp` (ms) and `sign` as
 * query parameters on the robot URL. The robot answers `{"errcode":0}` on success; anything else
 * (310000 sign not match, 130101 sending too fast, ...) is a failure. Mentions go in `at`
 * (`atMobiles`, `atUserIds`), and the text names each `@<mobile>` / `@<userId>`: DingTalk rings only
 * those the markdown text names.
 */
export const dingtalk: ChannelFormat = {
  chat: true,
  maxDeliveries: 500,
  request(sub, due, now) {
    const packed = packMarkdown(due, DINGTALK_MAX_TEXT_BYTES - (sub.mentions ? MENTIONS_ROOM_BYTES : 0));
    const mentions = mentionsFor(sub, due, packed.deliveryIds);
    const url = new URL(sub.url);
    if (sub.secret) {
      const timestamp = now.getTime();
      url.searchParams.set('timestamp', String(timestamp));
      url.searchParams.set('sign', dingtalkSign(sub.secret, timestamp)); // URLSearchParams URL-encodes it
    }
    const at = mentions
      ? { at: { atMobiles: mentions.mobiles, atUserIds: mentions.userIds, isAtAll: false } }
      : {};
    const names = mentions ? [...mentions.mobiles, ...mentions.userIds].map((m) => `@${m}`).join(' ') : '';
    const body = JSON.stringify({
      msgtype: 'markdown',
      markdown: { title: packed.title, text: names ? `${packed.text}\n\n${names}` : packed.text },
      ...at,
    });
    return {
      url: url.toString(),
      headers: { 'content-type': 'application/json' },
      body,
      deliveryIds: packed.deliveryIds,
    };
  },
  failureOf: (reply) => robotFailureOf(reply, 'dingtalk'),
};
