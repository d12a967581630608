import { createHash } from 'node:crypto';

import type { RobotChannel } from '../subscription';

/** The query parameters a robot request adds to its URL for each send (DingTalk's signature). */
const PER_SEND_PARAMS = ['timestamp', 'sign'];

/** The credential that names one robot: what its vendor counts messages by. */
function robotTokenOf(channel: RobotChannel, url: URL): string | null {
  if (channel === 'dingtalk') return url.searchParams.get('access_token');
  if (channel === 'wecom') return url.searchParams.get('key');
  return /\/hook\/([^/?#]+)/.exec(url.pathname)?.[1] ?? null;
}

/**
 * Which robot a subscription sends to, as its vendor counts: DingTalk by `access_token`, WeCom by
 * `key`, Feishu/Lark by the hook token, so that two subscriptions on one robot share its budget
 * whatever else differs in their URLs (a proxy host, another parameter). A URL without such a token
 * (a proxy of another shape) counts as a robot of its own. The token is a credential: only a digest
 * of it goes into Redis key names.
 */
export function robotKeyOf(channel: RobotChannel, text: string): string {
  let identity: string;
  try {
    const url = new URL(text);
    const token = robotTokenOf(channel, url);
    if (token) identity = `token:${token}`;
    else {
      for (const name of PER_SEND_PARAMS) url.searchParams.delete(name);
      identity = `url:${url.toString()}`;
    }
  } catch {
    identity = `url:${text}`;
  }
  return createHash('sha256').update(`${channel}|${identity}`).digest('hex').slice(0, 32);
}
