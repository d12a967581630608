/**
 * The API process against hostile and careless clients: bodies too large, of the wrong type, broken
 * or cut short; slow-loris connections; too many alert streams; resumes from ids too old to replay;
 * a stream client that stops reading. Every answer keeps its status in the contract's error shape.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

import type { Alert } from '@app/contracts';

import { ApiService, EventStream } from './helpers/api-service';
import { createTopic, produceLines, testBrokers, waitFor } from './helpers/kafka';
import { itemNumber } from './helpers/scenario';
import { System } from './helpers/system';

const A = 'HD-DS01';
const LIMIT = 65_536;
const DASHBOARD = join(__dirname, '..', 'apps', 'api', 'src', 'dashboard');

interface ErrorBody {
  error: { code: string; message: string };
}

let seq = 0;
function revision(alertId: string, rev: number, items: string[] = []): Alert {
  const now = new Date().toISOString();
  return {
    alertId,
    kind: 'ORPHAN_CLOSURE',
    status: 'FIRING',
    severity: 'warning',
    facilityId: A,
    shiftId: '2026-11-27/E',
    from: A,
    to: `${A}/R01`,
    itemCount: Math.max(items.length, rev),
    items,
    startsAt: now,
    updatedAt: now,
    endsAt: null,
    revision: rev,
    acknowledgedBy: null,
    text: `${rev} records have no hand-off`,
  };
}
const newId = () => `hd-${Date.now().toString(36)}-${seq++}`;

/** A raw connection: resolves with what it read once the server closed it. */
function raw(port: number, talk: (socket: Socket) => void): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('connect', () => talk(socket));
  });
}
const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as ErrorBody;

describe('the HTTP API against hostile input and hostile clients', () => {
  const system = new System();
  const api = new ApiService(() => system.env, {
    manager: { role: 'manager', facilities: [A] },
    a: { role: 'supervisor', facilities: [A] },
    b: { role: 'supervisor', facilities: [A] },
    c: { role: 'supervisor', facilities: [A] },
    admin: { role: 'admin', facilities: ['*'] },
  });
  const streams: EventStream[] = [];
  const open = async (as: string, lastEventId?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${api.tokens[as]}` };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const stream = await EventStream.open(`${api.url}/api/v1/alerts/stream`, headers);
    streams.push(stream);
    return stream;
  };
  const closeAll = async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
    // the server sees each close a moment later
    await waitFor(
      async () => /handover_api_sse_clients 0\b/.test(await (await fetch(`${api.url}/metrics`)).text()),
      { what: 'every stream closed on the server', timeoutMs: 10_000 },
    );
  };
  const publish = (alerts: Alert[]) =>
    produceLines(
      testBrokers(),
      system.topics.alerts,
      alerts.map((a) => JSON.stringify(a)),
      (_, i) => alerts[i].alertId,
    );
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.manager}`, ...headers },
      body,
    });

  beforeAll(async () => {
    await system.takeDatabase(); // the API alone, without the ledger and watch of system.start()
    // one partition: the change log's order is the topic's
    await createTopic(testBrokers(), system.topics.alerts, 1);
    await createTopic(testBrokers(), system.topics.summaries, 1, { 'cleanup.policy': 'compact' });
    await api.start({
      HTTP_BODY_LIMIT_BYTES: String(LIMIT),
      SSE_MAX_STREAMS: '4',
      SSE_MAX_STREAMS_PER_TOKEN: '2',
      SSE_REPLAY_MAX: '3',
      SSE_HEARTBEAT_SECONDS: '1',
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '1',
    });
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await api.stop();
  });

  describe('request bodies', () => {
    it('answers a 5 MB body with 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
      const res = await post('/api/v1/subscriptions', `{"x":"${'a'.repeat(5 * 1024 * 1024)}"}`, {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(413);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(body.error.message).toContain(String(LIMIT));
    });

    it('answers a body too large without a Content-Length (chunked) with 413 too', async () => {
      const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
      let sent = 0;
      const res = await fetch(`${api.url}/api/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.tokens.manager}`, 'content-type': 'application/json' },
        body: new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ < 4) controller.enqueue(chunk);
            else controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers a body that is not JSON by its Content-Type, or has none, with 415', async () => {
      const text = await post('/api/v1/subscriptions', 'name=x', { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(((await text.json()) as ErrorBody).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const form = await post('/api/v1/alerts/x/ack', 'a=1', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      const none = await post('/api/v1/subscriptions', new TextEncoder().encode('{}'), {});
      expect(none.status).toBe(415);
      expect(((await none.json()) as ErrorBody).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers malformed JSON with 400 BAD_REQUEST', async () => {
      const res = await post('/api/v1/subscriptions', '{"name": "x",', {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code).toBe('BAD_REQUEST');
    });

    it('answers a body the client cut short with 400 BAD_REQUEST, and logs no internal error', async () => {
      const { text } = await raw(api.port, (socket) => {
        socket.write(
          `POST /api/v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.manager}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
        );
        setTimeout(() => socket.end(), 200);
      });
      expect(statusOf(text)).toBe(400);
      expect(bodyOf(text).error.code).toBe('BAD_REQUEST');
      // a client that vanishes mid-body is not a fault of ours
      const { text: gone } = await raw(api.port, (socket) => {
        socket.write(
          `POST /api/v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.manager}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":',
        );
        setTimeout(() => socket.destroy(), 200);
      });
      expect(gone).toBe('');
      expect((await api.get('/health/live')).status).toBe(200);
      expect(api.process.output.filter((l) => l.includes('request failed'))).toEqual([]);
    });

    it('answers a path that is not valid percent-encoding with 400, not 500', async () => {
      const res = await api.get<ErrorBody>('/api/v1/alerts/%E0%A4%A', 'manager');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
    });

    it('answers a route it does not have with 404 NOT_FOUND, with or without a token', async () => {
      for (const as of [undefined, 'manager']) {
        const res = await api.request<ErrorBody>('PUT', '/api/v1/nothing-here', as);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('headers', () => {
    it('sends the security headers on the dashboard, the API and its errors, and no X-Powered-By', async () => {
      const answers = [
        await fetch(`${api.url}/`),
        await fetch(`${api.url}/assets/app.js`),
        await fetch(`${api.url}/api/v1/me`, { headers: { authorization: `Bearer ${api.tokens.a}` } }),
        await fetch(`${api.url}/api/v1/me`),
        await fetch(`${api.url}/nothing`),
        await post('/api/v1/subscriptions', 'x'.repeat(LIMIT + 1), { 'content-type': 'application/json' }),
      ];
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 401, 404, 413]);
      for (const res of answers) {
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-powered-by')).toBeNull();
        await res.arrayBuffer();
      }
      const ops = await fetch(`${api.url}/health/live`);
      expect(ops.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('serves a dashboard with no inline script, style or handler, so that it runs under that policy', () => {
      const html = readFileSync(join(DASHBOARD, 'index.html'), 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/\bsrc="assets\/[^"]+"/);
        expect(body.trim()).toBe('');
      }
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/javascript:/i);
      const js = readFileSync(join(DASHBOARD, 'app.js'), 'utf8') // the code, not its comments
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(js).not.toMatch(
        /\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
      );
      expect(js).not.toMatch(/setAttribute\(\s*['"](on[a-z]+|style)['"]/);
    });
  });

  describe('slow clients', () => {
    it('disconnects a slow-loris client that sends its headers slowly and never finishes them', async () => {
      const { text, ms } = await raw(api.port, (socket) => {
        socket.write('GET /api/v1/me HTTP/1.1\r\nHost: x\r\n');
        const timer = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
        socket.on('close', () => clearInterval(timer));
      });
      expect(statusOf(text)).toBe(408);
      expect(bodyOf(text).error.code).toBe('REQUEST_TIMEOUT');
      expect(ms).toBeLessThan(15_000);
    });

    it('disconnects a client whose body never finishes', async () => {
      const { text } = await raw(api.port, (socket) => {
        socket.write(
          `POST /api/v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.manager}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        );
        const timer = setInterval(() => socket.writable && socket.write(' '), 200);
        socket.on('close', () => clearInterval(timer));
      });
      expect(statusOf(text)).toBe(408);
    });

    it('keeps an alert stream open well past the request timeout', async () => {
      const stream = await open('c');
      await new Promise((r) => setTimeout(r, 4_500)); // the request timeout is 2 s
      expect(stream.ended).toBe(false);
      const before = stream.comments.filter((c) => c === 'heartbeat').length;
      await stream.waitFor(
        'a heartbeat after 4.5 s',
        (s) => s.comments.filter((c) => c === 'heartbeat').length > before,
      );
      const x = newId();
      await publish([revision(x, 1)]);
      await stream.waitFor('an alert on the long-lived stream', (s) =>
        s.alerts().some((a) => a.alertId === x),
      );
      await closeAll();
    });
  });

  describe('alert streams', () => {
    it('refuses a third stream of one token and a fifth in all with 429 TOO_MANY_STREAMS', async () => {
      const first = [await open('a'), await open('a')];
      expect(first.map((s) => s.status)).toEqual([200, 200]);
      const third = await fetch(`${api.url}/api/v1/alerts/stream`, {
        headers: { authorization: `Bearer ${api.tokens.a}` },
      });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).not.toBeNull();
      expect(((await third.json()) as ErrorBody).error.code).toBe('TOO_MANY_STREAMS');
      // another token may still open streams, up to the total of 4
      expect([(await open('b')).status, (await open('b')).status]).toEqual([200, 200]);
      const fifth = await fetch(`${api.url}/api/v1/alerts/stream`, {
        headers: { authorization: `Bearer ${api.tokens.admin}` },
      });
      expect(fifth.status).toBe(429);
      expect(((await fifth.json()) as ErrorBody).error.code).toBe('TOO_MANY_STREAMS');
      // a closed stream frees its place
      await first[0].close();
      await waitFor(async () => (await open('admin')).status === 200, {
        what: 'a stream once one was closed',
        timeoutMs: 10_000,
      });
      await closeAll();
    });

    it('replays a short gap exactly, and answers a gap longer than SSE_REPLAY_MAX with a reset, then live events', async () => {
      const witness = await open('admin');
      const x = newId();
      await publish([revision(x, 1)]);
      await witness.waitFor('the first revision', (s) => s.alerts().some((a) => a.alertId === x));
      const mark = witness.events[witness.events.length - 1].id;

      await publish([revision(x, 2), revision(x, 3)]); // 2 changes: within the cap of 3
      await witness.waitFor('revision 3', (s) => s.alerts().some((a) => a.alertId === x && a.revision === 3));
      const short = await open('a', mark);
      await short.waitFor('the two missed revisions', (s) => s.alerts().length >= 2);
      expect(short.events.map((e) => e.event)).toEqual(['alert', 'alert']);
      expect(short.alerts().map((a) => a.revision)).toEqual([2, 3]);
      await short.close();

      await publish([revision(x, 4), revision(x, 5)]); // now 4 changes since the mark: past the cap
      await witness.waitFor('revision 5', (s) => s.alerts().some((a) => a.alertId === x && a.revision === 5));
      const newest = witness.events[witness.events.length - 1].id;
      const long = await open('a', mark);
      await long.waitFor('a reset', (s) => s.events.length > 0);
      expect(long.events).toHaveLength(1);
      const [reset] = long.events;
      expect(reset.event).toBe('reset');
      expect(reset.id).toBe(newest);
      expect(JSON.parse(reset.data)).toMatchObject({
        lastEventId: mark,
        reason: expect.stringContaining('4 changes'),
      });
      await publish([revision(x, 6)]);
      await long.waitFor('a live event after the reset', (s) => s.alerts().some((a) => a.revision === 6));
      expect(long.alerts().map((a) => a.revision)).toEqual([6]);
      await closeAll();
    });

    it('resets a Last-Event-ID the capped change log does not hold, older or newer than all it has', async () => {
      const witness = await open('admin');
      const x = newId();
      await publish([revision(x, 1)]);
      await witness.waitFor('an alert', (s) => s.alerts().some((a) => a.alertId === x));
      for (const id of ['1-0', '99999999999999-0']) {
        const stream = await open('a', id);
        await stream.waitFor(`a reset for ${id}`, (s) => s.events.length > 0);
        expect(stream.events[0].event).toBe('reset');
        expect(JSON.parse(stream.events[0].data)).toMatchObject({ lastEventId: id });
        await stream.close();
      }
      await closeAll();
    });

    it('cuts off a stream client that stops reading once 4 MiB wait for it, and no one else', async () => {
      const reader = await open('admin');
      const items = Array.from({ length: 1_000 }, (_, i) => itemNumber('EE', 100_000 + i));
      const x = newId();
      // about 24 MB of changes: more than the 4 MiB the server holds plus what the kernel buffers
      const alerts = Array.from({ length: 1_500 }, (_, i) => revision(x, i + 1, items));
      const bytes = alerts.reduce((n, a) => n + JSON.stringify(a).length, 0);
      expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
      let received = 0;
      let stalling = true;
      let stalled!: Socket;
      const closed = new Promise<void>((resolve) => {
        stalled = connect(api.port, '127.0.0.1', () =>
          stalled.write(
            `GET /api/v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.b}\r\n\r\n`,
          ),
        );
        stalled.on('data', (chunk) => {
          received += chunk.length;
          if (stalling) stalled.pause(); // reads the headers, then no more
        });
        stalled.on('error', () => resolve());
        stalled.on('close', () => resolve());
      });
      await waitFor(() => received > 0, { what: 'the stalled stream to open' });
      // in slices: a Kafka record batch is at most 1 MB
      for (let i = 0; i < alerts.length; i += 40) await publish(alerts.slice(i, i + 40));
      await reader.waitFor(
        'every change on the stream that reads',
        (s) => s.alerts().some((a) => a.alertId === x && a.revision === 1_500),
        120_000,
      );
      stalling = false;
      stalled.resume();
      await closed;
      expect(received).toBeLessThan(bytes);
      expect(reader.ended).toBe(false);
      expect(api.process.output.some((l) => l.includes('too slow'))).toBe(true);
      await closeAll();
    }, 180_000);
  });
});
