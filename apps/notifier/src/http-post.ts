import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

import { hostnameOf, type ChannelReply } from '@app/subscriptions';

/** What is read of a receiver's answer: enough for a robot's JSON code, not a receiver's whole page. */
export const MAX_REPLY_BYTES = 64 * 1024;

/** A failed send, by a short code (ECONNREFUSED, TIMEOUT, CERT_HAS_EXPIRED, ...) that never holds the URL. */
export class SendError extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'SendError';
  }
}

/**
 * A `lookup` that answers only with the addresses already checked, whatever name it is asked for:
 * the connection goes to what DestinationPolicy allowed, and a DNS answer that changes between the
 * check and the connect (DNS rebinding) is never seen. With `all`, Node tries each in turn.
 */
export function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = typeof options === 'object' ? options.family : undefined;
    const usable = addresses.filter((a) => !family || family === 0 || a.family === family);
    const found = usable.length > 0 ? usable : addresses;
    if (typeof options === 'object' && options.all) callback(null, found);
    else callback(null, found[0].address, found[0].family);
  };
}

function readCapped(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      chunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
      size += Math.min(room, chunk.length);
      if (size >= maxBytes) {
        response.destroy(); // the rest is not read: a receiver cannot make the notifier hold a large body
        done();
      }
    });
    response.on('end', done);
    response.on('error', reject);
  });
}

/** A `Retry-After` header (seconds, or an HTTP date) as seconds from now, when there is one. */
export function retryAfterOf(header: string | undefined, nowMs = Date.now()): { retryAfterSeconds?: number } {
  if (!header) return {};
  const seconds = /^\s*\d+\s*$/.test(header) ? Number(header) : (Date.parse(header) - nowMs) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : {};
}

export interface PostOptions {
  url: URL;
  /** the checked addresses to connect to */
  addresses: LookupAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxReplyBytes?: number;
}

/**
 * POSTs `body` to `url` over a connection to one of `addresses` (Host header and TLS SNI are the
 * URL's name, so certificates are checked against it). Redirects are not followed: a 3xx is an
 * answer like any other. Userinfo in the URL is sent as Basic authorization. The answer is read up
 * to `maxReplyBytes`; the whole exchange, connect included, ends at `timeoutMs`.
 */
export function post(options: PostOptions): Promise<ChannelReply> {
  const { url, addresses, body, timeoutMs } = options;
  const headers: Record<string, string> = {
    ...options.headers,
    'content-length': String(Buffer.byteLength(body, 'utf8')),
    connection: 'close',
  };
  if (
    (url.username || url.password) &&
    !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')
  ) {
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`;
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ChannelReply>((resolve, reject) => {
    let timedOut = false;
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error & { code?: string }) =>
      finish(() =>
        reject(
          timedOut
            ? new SendError('TIMEOUT')
            : error instanceof SendError
              ? error
              : new SendError(error.code ?? 'REQUEST_FAILED'),
        ),
      );
    const req = send({
      method: 'POST',
      host: hostnameOf(url),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      lookup: pinnedLookup(addresses),
      agent: false,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new SendError('TIMEOUT'));
    }, timeoutMs);
    req.on('response', (response) => {
      readCapped(response, options.maxReplyBytes ?? MAX_REPLY_BYTES).then(
        (text) =>
          finish(() =>
            resolve({
              status: response.statusCode ?? 0,
              body: text,
              ...retryAfterOf(response.headers['retry-after']),
            }),
          ),
        fail,
      );
    });
    req.on('error', fail);
    req.end(body);
  });
}
