import type { Delivery } from '../delivery';
import type { Channel, RobotChannel, StoredSubscription } from '../subscription';

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
  /** a `Retry-After` header in seconds, when there was one */
  retryAfterSeconds?: number;
}

/** Why a send did not deliver. */
export interface SendFailure {
  /** for `lastError`: a status or the vendor's code, never what the receiver wrote (the API shows it) */
  error: string;
  /** the `result` label of handover_deliveries_total: `retried`, a known vendor code, `http_429` or `other` */
  result: string;
  /**
   * the vendor said "too fast": the robot is paused (every subscription on it) for this many of the
   * vendor's minutes (NOTIFIER_ROBOT_MINUTE_SECONDS each), or `pauseMs` when the reply said how long
   */
  pauseMinutes?: number;
  pauseMs?: number;
}

/**
 * A channel of SPEC section 6 as pure functions: the request for what is due, and whether the
 * receiver's answer means delivered. `chat`: a robot with a vendor's rate limit.
 */
export interface ChannelFormat {
  chat: boolean;
  /** at most this many deliveries are read from the queue for one request */
  maxDeliveries: number;
  request(sub: StoredSubscription, due: Delivery[], now: Date): ChannelRequest;
  /** null: delivered; otherwise why not */
  failureOf(reply: ChannelReply): SendFailure | null;
}

/** What each robot's vendor answers, as far as the sender acts on it or counts it. */
interface VendorFacts {
  /** the JSON field of the vendor's code */
  field: 'errcode' | 'code';
  /** codes counted under their own `result` label; any other is `other` */
  known: readonly string[];
  /** "sending too fast" codes, with how many minutes the vendor then blocks the robot */
  tooFast: Readonly<Record<string, number>>;
}

/**
 * The vendors' codes (their robot documentation). DingTalk: 130101 / 410100 too fast (the robot is
 * then throttled for 10 minutes), 310000 keyword, signature or IP check failed, 300001 / 400101 no
 * such token, 400102 robot disabled, 400105 message type, 400106 no such robot. WeCom: 45009 too
 * fast (20 a minute), 93000 invalid key, 40058 / 40035 bad content, 40008 message type. Feishu:
 * 11232 too fast (100 a minute, 5 a second), 19021 signature, 19022 IP, 19024 keyword, 19001 / 19002
 * bad hook or parameters, 9499 bad request.
 */
export const ROBOT_VENDORS: Record<RobotChannel, VendorFacts> = {
  dingtalk: {
    field: 'errcode',
    known: ['130101', '410100', '310000', '300001', '400101', '400102', '400105', '400106'],
    tooFast: { 130101: 10, 410100: 10 },
  },
  wecom: {
    field: 'errcode',
    known: ['45009', '93000', '40058', '40035', '40008'],
    tooFast: { 45009: 1 },
  },
  feishu: {
    field: 'code',
    known: ['11232', '19021', '19022', '19024', '19001', '19002', '9499'],
    tooFast: { 11232: 1 },
  },
};

/** Every `result` value handover_deliveries_total can have for a channel (a bounded set). */
export function deliveryResultsOf(channel: Channel): string[] {
  const common = ['delivered', 'retried', 'abandoned'];
  if (channel === 'alertmanager') return [...common, 'rejected'];
  if (channel === 'webhook') return common;
  return [...common, ...ROBOT_VENDORS[channel].known, 'http_429', 'other'];
}

const is2xx = (status: number) => status >= 200 && status < 300;

export function httpFailureOf(reply: ChannelReply): SendFailure | null {
  return is2xx(reply.status) ? null : { error: `HTTP ${reply.status}`, result: 'retried' };
}

function codeOf(body: string, field: 'errcode' | 'code'): { json: boolean; code: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { json: false, code: undefined };
  }
  const record = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  return { json: true, code: record[field] ?? record.StatusCode };
}

/** A Retry-After of a 429, capped: a receiver cannot park a robot for a day. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * A chat robot's JSON answer: HTTP 2xx and its code 0 (or absent). A failure says the vendor's code
 * (`dingtalk errcode 310000`), also inside a non-2xx reply (`wecom errcode 45009 (HTTP 429)`), and
 * nothing else of the body: it is stored as `lastError`, which the API returns, so a body shown there
 * would let a subscriber read whatever the receiver answered. "Too fast" (the vendor's code, or HTTP
 * 429) pauses the robot instead of retrying into its block.
 */
export function robotFailureOf(reply: ChannelReply, robot: RobotChannel): SendFailure | null {
  const vendor = ROBOT_VENDORS[robot];
  const { json, code } = codeOf(reply.body, vendor.field);
  const ok = is2xx(reply.status);
  if (ok && !json) return { error: `${robot}: the reply is not JSON`, result: 'retried' };
  if (ok && (code === undefined || code === 0)) return null;
  const http = ok ? '' : ` (HTTP ${reply.status})`;
  let failure: SendFailure;
  if (code === undefined || code === 0) {
    failure = { error: `HTTP ${reply.status}`, result: reply.status === 429 ? 'http_429' : 'retried' };
  } else if (!Number.isSafeInteger(code)) {
    failure = { error: `${robot} ${vendor.field} is not a number${http}`, result: 'other' };
  } else {
    const text = String(code);
    failure = {
      error: `${robot} ${vendor.field} ${text}${http}`,
      result: vendor.known.includes(text) ? text : 'other',
    };
    const minutes = vendor.tooFast[text];
    if (minutes !== undefined) failure.pauseMinutes = minutes;
  }
  if (reply.status === 429 && failure.pauseMinutes === undefined) {
    if (reply.retryAfterSeconds !== undefined && reply.retryAfterSeconds > 0)
      failure.pauseMs = Math.min(reply.retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS);
    else failure.pauseMinutes = 1;
  }
  return failure;
}
