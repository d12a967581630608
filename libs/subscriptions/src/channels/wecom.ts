import type { ChannelFormat } from './channel';
import { robotFailureOf } from './channel';
import { packMarkdown } from './format';

/** WeCom's limit on a markdown message's content, in UTF-8 bytes. */
export const WECOM_MAX_CONTENT_BYTES = 4_096;

/**
 * WeCom group robot: a markdown message of at most 4,096 bytes (the robot URL's `key` is its only
 * credential; WeCom robots are not signed). `{"errcode":0}` means delivered; 45009 is sending too fast.
 */
export const wecom: ChannelFormat = {
  chat: true,
  maxDeliveries: 200,
  request(sub, due) {
    const packed = packMarkdown(due, WECOM_MAX_CONTENT_BYTES);
    return {
      url: sub.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'markdown', markdown: { content: packed.text } }),
      deliveryIds: packed.deliveryIds,
    };
  },
  failureOf: (reply) => robotFailureOf(reply, 'wecom', 'errcode'),
};
