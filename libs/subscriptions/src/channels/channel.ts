import type { Delivery } from '../delivery';
import type { StoredSubscription } from '../subscription';

/** An HTTP request a channel makes of due deliveries. */
export interface ChannelRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** the deliveries this request carries (the rest stay queued) */
  deliveryIds: string[];
}

/** A receiver's answer. */
export interface ChannelReply {
  status: number;
  body: string;
}

/**
 * A channel of SPEC section 6 as pure functions: the request for what is due, and whether the
 * receiver's answer means delivered. `chat`: a robot that takes about 20 messages a minute.
 */
export interface ChannelFormat {
  chat: boolean;
  /** at most this many deliveries are read from the queue for one request */
  maxDeliveries: number;
  request(sub: StoredSubscription, due: Delivery[], now: Date): ChannelRequest;
  /** null: delivered; otherwise why not */
  failureOf(reply: ChannelReply): string | null;
}

export function httpFailureOf(reply: ChannelReply): string | null {
  return reply.status >= 200 && reply.status < 300 ? null : `HTTP ${reply.status}`;
}

/**
 * A chat robot's JSON answer: HTTP 2xx and `field` 0 (or absent). A failure says the vendor's code
 * (`dingtalk errcode 310000`) and nothing else of the body: it is stored as `lastError`, which the
 * API returns, so a body shown there would let a subscriber read whatever the receiver answered.
 */
export function robotFailureOf(
  reply: ChannelReply,
  robot: 'dingtalk' | 'wecom' | 'feishu',
  field: 'errcode' | 'code',
): string | null {
  const http = httpFailureOf(reply);
  if (http) return http;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    return `${robot}: the reply is not JSON`;
  }
  const record = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const code = record[field] ?? record.StatusCode;
  if (code === undefined || code === 0) return null;
  return Number.isSafeInteger(code)
    ? `${robot} ${field} ${String(code)}`
    : `${robot} ${field} is not a number`;
}
