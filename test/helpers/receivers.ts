/**
 * Local HTTP receivers for the chat robots and webhooks: node http servers on free ports that record
 * every request and answer as the real receiver would (a DingTalk robot checks its signature and
 * refuses more than 20 messages a minute per access token with 130101, like the real one). They can go
 * down (answer 500, or stop listening) and come back on the same port. Alertmanager is the real one
 * (./alertmanager.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  body: string;
}

export type Responder = (request: ReceivedRequest, receiver: Receiver) => Answer;

const ok = (body = ''): Answer => ({ status: 200, body });

export class Receiver {
  /** the requests answered with the receiver's normal answer (not those it refused while down) */
  readonly accepted: ReceivedRequest[] = [];
  readonly all: ReceivedRequest[] = [];
  /** while true, every request gets HTTP 500 */
  failing = false;
  /** answers this much later (a slow receiver) */
  delayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(private readonly respond: Responder) {}

  static async start(respond: Responder = () => ok()): Promise<Receiver> {
    const receiver = new Receiver(respond);
    await receiver.listen(0);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', this.url),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.all.push(request);
      let answer: Answer;
      if (this.failing) answer = { status: 500, body: 'down for maintenance' };
      else {
        answer = this.respond(request, this);
        if (answer.status < 300 && !/"(errcode|code)":[1-9]/.test(answer.body)) this.accepted.push(request);
      }
      const reply = () =>
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      if (this.delayMs > 0) setTimeout(reply, this.delayMs);
      else reply();
    });
  }

  /** Stops listening: senders get "connection refused". */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.down();
  }

  /** Accepted requests in the last `ms` before `at`. */
  acceptedWithin(ms: number, at = Date.now()): ReceivedRequest[] {
    return this.accepted.filter((r) => r.at > at - ms && r.at <= at);
  }
}

// What each channel's real receiver checks and answers.

export function webhookSignatureOk(request: ReceivedRequest, secret: string): boolean {
  const header = request.headers['x-signature'];
  const expected = `sha256=${createHmac('sha256', secret).update(request.body, 'utf8').digest('hex')}`;
  return typeof header === 'string' && safeEqual(header, expected);
}

export function dingtalkSignatureOk(request: ReceivedRequest, secret: string, nowMs = Date.now()): boolean {
  const timestamp = request.url.searchParams.get('timestamp');
  const sign = request.url.searchParams.get('sign'); // URLSearchParams has URL-decoded it
  if (!timestamp || !sign || Math.abs(nowMs - Number(timestamp)) > 3_600_000) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
  return safeEqual(sign, expected);
}

export function feishuSignatureOk(body: { timestamp?: string; sign?: string }, secret: string): boolean {
  if (!body.timestamp || !body.sign) return false;
  if (Math.abs(Date.now() / 1000 - Number(body.timestamp)) > 3_600) return false;
  const expected = createHmac('sha256', `${body.timestamp}\n${secret}`).update('').digest('base64');
  return safeEqual(body.sign, expected);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A robot's rate limit as its vendor enforces it: at most `max` accepted messages per token within `ms`. */
export interface RobotLimit {
  ms: number;
  max: number;
}

/** Messages the receiver accepted for one robot token within `ms` before `at`. */
function acceptedFor(receiver: Receiver, token: string | null, tokenOf: TokenOf, ms: number, at: number) {
  return receiver.acceptedWithin(ms, at).filter((r) => tokenOf(r) === token);
}

type TokenOf = (request: ReceivedRequest) => string | null;
export const dingtalkToken: TokenOf = (r) => r.url.searchParams.get('access_token');
export const wecomToken: TokenOf = (r) => r.url.searchParams.get('key');
export const feishuToken: TokenOf = (r) => /\/hook\/([^/?#]+)/.exec(r.url.pathname)?.[1] ?? null;

function overLimit(receiver: Receiver, request: ReceivedRequest, tokenOf: TokenOf, limits: RobotLimit[]) {
  const token = tokenOf(request);
  return limits.some((l) => acceptedFor(receiver, token, tokenOf, l.ms, request.at).length >= l.max);
}

/**
 * A DingTalk custom robot: checks the signature (310000), takes at most `perMinute` messages a minute
 * per access token (130101 past it, as the real one, which then blocks the robot for ten minutes).
 */
export function dingtalkRobot(secret: string, limits: RobotLimit[] = [{ ms: 60_000, max: 20 }]): Responder {
  return (request, receiver) => {
    if (!dingtalkSignatureOk(request, secret))
      return ok(JSON.stringify({ errcode: 310000, errmsg: 'sign not match' }));
    if (overLimit(receiver, request, dingtalkToken, limits))
      return ok(JSON.stringify({ errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' }));
    return ok(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
  };
}

/**
 * A WeCom group robot: markdown content over 4,096 bytes and text over 2,048 are refused (40058);
 * more than `limits` per key: 45009.
 */
export function wecomRobot(limits: RobotLimit[] = [{ ms: 60_000, max: 20 }]): Responder {
  return (request, receiver) => {
    const body = JSON.parse(request.body) as {
      msgtype?: string;
      markdown?: { content?: string };
      text?: { content?: string };
    };
    const [content, max] =
      body.msgtype === 'text' ? [body.text?.content ?? '', 2_048] : [body.markdown?.content ?? '', 4_096];
    if (Buffer.byteLength(content, 'utf8') > max)
      return ok(JSON.stringify({ errcode: 40058, errmsg: `content exceed max length ${max}` }));
    if (overLimit(receiver, request, wecomToken, limits))
      return ok(JSON.stringify({ errcode: 45009, errmsg: 'api freq out of limit' }));
    return ok(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
  };
}

/**
 * A Feishu custom bot: checks the signature in the body (19021 sign match fail); more than 100 a
 * minute or 5 a second per hook token: 11232.
 */
export function feishuBot(
  secret: string,
  limits: RobotLimit[] = [
    { ms: 60_000, max: 100 },
    { ms: 1_000, max: 5 },
  ],
): Responder {
  return (request, receiver) => {
    const body = JSON.parse(request.body) as { timestamp?: string; sign?: string };
    if (Buffer.byteLength(request.body, 'utf8') > 20_000)
      return ok(JSON.stringify({ code: 9499, msg: 'Bad Request', data: {} }));
    if (!feishuSignatureOk(body, secret))
      return ok(
        JSON.stringify({
          code: 19021,
          msg: 'sign match fail or timestamp is not within one hour from current time',
        }),
      );
    if (overLimit(receiver, request, feishuToken, limits))
      return ok(JSON.stringify({ code: 11232, msg: 'frequency limited', data: {} }));
    return ok(JSON.stringify({ code: 0, msg: 'success', data: {} }));
  };
}

/** A webhook endpoint that refuses a bad signature with 401. */
export function signedWebhook(secret: string): Responder {
  return (request) => (webhookSignatureOk(request, secret) ? ok('{}') : { status: 401, body: '{}' });
}
