import type { ChannelFormat } from './channel';
import { robotFailureOf } from './channel';
import { mentionsFor, packMarkdown, truncateUtf8 } from './format';

/** WeCom's limit on a markdown message's content, in UTF-8 bytes. */
export const WECOM_MAX_CONTENT_BYTES = 4_096;
/** WeCom's limit on a text message's content, in UTF-8 bytes. */
export const WECOM_MAX_TEXT_BYTES = 2_048;

/** The markdown of packMarkdown as plain text: WeCom shows a text message's characters as they are. */
function plainText(markdown: string): string {
  return markdown.replace(/^#+ /gm, '').replace(/\*\*/g, '');
}

/**
 * WeCom group robot: a markdown message of at most 4,096 bytes (the robot URL's `key` is its only
 * credential; WeCom robots are not signed). `{"errcode":0}` means delivered; 45009 is sending too fast.
 * WeCom mentions by mobile (`mentioned_mobile_list`) and user id (`mentioned_list`) only in a text
 * message, so a message with mentions is sent as text (at most 2,048 bytes, what does not fit goes
 * in the next message).
 */
export const wecom: ChannelFormat = {
  chat: true,
  maxDeliveries: 200,
  request(sub, due) {
    const packed = packMarkdown(due, WECOM_MAX_CONTENT_BYTES);
    const request = (body: object, deliveryIds: string[]) => ({
      url: sub.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      deliveryIds,
    });
    if (!mentionsFor(sub, due, packed.deliveryIds))
      return request({ msgtype: 'markdown', markdown: { content: packed.text } }, packed.deliveryIds);
    // the alert worth a mention sorts first, so it is in the shorter message too
    const short = packMarkdown(due, WECOM_MAX_TEXT_BYTES);
    const mentions = mentionsFor(sub, due, short.deliveryIds) ?? { mobiles: [], userIds: [] };
    const text = {
      content: truncateUtf8(plainText(short.text), WECOM_MAX_TEXT_BYTES),
      mentioned_list: mentions.userIds,
      mentioned_mobile_list: mentions.mobiles,
    };
    return request({ msgtype: 'text', text }, short.deliveryIds);
  },
  failureOf: (reply) => robotFailureOf(reply, 'wecom'),
};
