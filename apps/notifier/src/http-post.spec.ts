import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { parseNetwork, type Network } from '@app/config';
import { DestinationPolicy, type Resolver } from '@app/subscriptions';

import { MAX_REPLY_BYTES, post, retryAfterOf, SendError } from './http-post';

interface Seen {
  host: string | undefined;
  authorization: string | undefined;
  url: string | undefined;
  body: string;
}

/** A local receiver on 127.0.0.1 that records what it got and answers with `answer`. */
async function receiver(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ host: req.headers.host, authorization: req.headers.authorization, url: req.url, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const loopback = parseNetwork('127.0.0.0/8') as Network;

describe('post', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('connects to the address that was checked, with the Host of the name, resolving it once', async () => {
    const r = await receiver((_, res) => res.end('{"errcode":0}'));
    closers.push(r.close);
    // the first answer is checked; a second lookup (as a plain connect would make) would get 10.255.0.1
    const answers = ['127.0.0.1', '10.255.0.1'];
    let lookups = 0;
    const resolver: Resolver = () => {
      lookups++;
      return Promise.resolve([{ address: answers.shift() as string, family: 4 }]);
    };
    const policy = new DestinationPolicy(
      { allowedNetworks: [loopback], allowHttp: true, robotProxyHosts: [] },
      resolver,
    );
    const destination = await policy.destinationOf('webhook', `http://receiver.test:${r.port}/hook?x=1`);
    if (!destination.ok) throw new Error(destination.refusal);
    const reply = await post({
      ...destination,
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      timeoutMs: 5_000,
    });
    expect(reply).toEqual({ status: 200, body: '{"errcode":0}' });
    expect(lookups).toBe(1);
    expect(r.seen).toEqual([
      { host: `receiver.test:${r.port}`, authorization: undefined, url: '/hook?x=1', body: '{"a":1}' },
    ]);
  });

  it('does not follow a redirect', async () => {
    const target = await receiver((_, res) => res.end('{}'));
    const redirecting = await receiver((_, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/` }).end(),
    );
    closers.push(target.close, redirecting.close);
    const reply = await post({
      url: new URL(`http://127.0.0.1:${redirecting.port}/`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: {},
      body: '{}',
      timeoutMs: 5_000,
    });
    expect(reply.status).toBe(307);
    expect(target.seen).toHaveLength(0);
  });

  it('reads at most 64 KiB of an answer, however much the receiver sends', async () => {
    const r = await receiver((_, res) => {
      res.writeHead(500);
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 64; i++) res.write(chunk); // 4 MiB
      res.end();
    });
    closers.push(r.close);
    const reply = await post({
      url: new URL(`http://127.0.0.1:${r.port}/`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: {},
      body: '{}',
      timeoutMs: 5_000,
    });
    expect(reply.status).toBe(500);
    expect(Buffer.byteLength(reply.body)).toBe(MAX_REPLY_BYTES);
  });

  it("sends a URL's userinfo as Basic authorization, not in the request line", async () => {
    const r = await receiver((_, res) => res.end());
    closers.push(r.close);
    await post({
      url: new URL(`http://desk:p%40ss@127.0.0.1:${r.port}/hook`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: {},
      body: '{}',
      timeoutMs: 5_000,
    });
    expect(r.seen[0].authorization).toBe(`Basic ${Buffer.from('desk:p@ss').toString('base64')}`);
    expect(r.seen[0].url).toBe('/hook');
  });

  it('gives up at the timeout with a code, and a refused connection by its code', async () => {
    const r = await receiver(() => undefined); // never answers
    closers.push(r.close);
    const slow = post({
      url: new URL(`http://127.0.0.1:${r.port}/`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: {},
      body: '{}',
      timeoutMs: 200,
    });
    await expect(slow).rejects.toEqual(new SendError('TIMEOUT'));
    const gone = await receiver(() => undefined);
    await gone.close();
    await expect(
      post({
        url: new URL(`http://127.0.0.1:${gone.port}/`),
        addresses: [{ address: '127.0.0.1', family: 4 }],
        headers: {},
        body: '{}',
        timeoutMs: 5_000,
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('retryAfterOf', () => {
  it('reads a Retry-After in seconds or as an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-11-27T06:00:00Z');
    expect(retryAfterOf('30', now)).toEqual({ retryAfterSeconds: 30 });
    expect(retryAfterOf('Fri, 27 Nov 2026 06:01:00 GMT', now)).toEqual({ retryAfterSeconds: 60 });
    expect(retryAfterOf(undefined, now)).toEqual({});
    expect(retryAfterOf('soon', now)).toEqual({});
    expect(retryAfterOf('0', now)).toEqual({});
  });
});
