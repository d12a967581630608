import type { Channel, ChannelReply, DestinationPolicy } from '@app/subscriptions';

import { post, SendError } from './http-post';

/** What a send came to: the receiver's answer, or why there was none (a short code for `lastError`). */
export type SendOutcome = { reply: ChannelReply } | { error: string };

/**
 * Sends one request where DestinationPolicy allows, checked at each send (not just at creation):
 * the name is resolved once, here, and the connection uses the addresses checked. A refused
 * destination is a failure like any other, so it shows in `lastError` and is retried (an operator
 * may widen SUBSCRIPTION_ALLOWED_NETWORKS meanwhile).
 */
export async function sendTo(
  destinations: DestinationPolicy,
  channel: Channel,
  request: { url: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<SendOutcome> {
  const deadline = Date.now() + timeoutMs;
  try {
    const destination = await withTimeout(destinations.destinationOf(channel, request.url), timeoutMs);
    if (!destination.ok) return { error: `refused: ${destination.refusal}` };
    const reply = await post({
      url: destination.url,
      addresses: destination.addresses,
      headers: request.headers,
      body: request.body,
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    return { reply };
  } catch (error) {
    return { error: describe(error) };
  }
}

/**
 * A send error as `lastError`: a short code, never a message that could carry the URL (a robot URL
 * holds its access token) or anything the receiver said.
 */
export function describe(error: unknown): string {
  if (error instanceof SendError) return error.code === 'TIMEOUT' ? 'timed out' : error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'send failed';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendError('TIMEOUT')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
