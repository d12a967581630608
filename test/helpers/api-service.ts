/**
 * The API service as a child process for integration tests, with a tokens file of its own (one
 * token per role and scope asked for), and small HTTP and Server-Sent Events clients.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../deploy/local/ports';
import { randomName, waitFor } from './kafka';
import { ServiceProcess, waitWhileRunning } from './ledger-process';

export type Role = 'supervisor' | 'manager' | 'sre' | 'admin';
export interface TokenSpec {
  role: Role;
  facilities: string[];
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** An API process and the bearer tokens it accepts, by the names the test gave them. */
export class ApiService {
  readonly tokens: Record<string, string> = {};
  readonly tokensFile: string;
  process!: ServiceProcess;
  port!: number;

  /**
   * `env` may be a function, read at start(): the environment of a System or NotifierRig has its Redis
   * database only once that has started or been set up.
   */
  constructor(
    private readonly env: Record<string, string> | (() => Record<string, string>),
    specs: Record<string, TokenSpec>,
  ) {
    const dir = mkdtempSync(join(process.env.HBM_TEST_ROOT ?? tmpdir(), 'api-'));
    this.tokensFile = join(dir, 'tokens.json');
    const entries = Object.entries(specs).map(([name, spec]) => {
      const token = randomBytes(24).toString('base64url');
      this.tokens[name] = token;
      return { name, sha256: createHash('sha256').update(token).digest('hex'), ...spec };
    });
    writeFileSync(this.tokensFile, JSON.stringify({ tokens: entries }, null, 2));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    this.port = await freePort();
    this.process = new ServiceProcess('api', {
      API_GROUP_ID: randomName('api'),
      ...(typeof this.env === 'function' ? this.env() : this.env),
      HTTP_PORT: String(this.port),
      TOKENS_FILE: this.tokensFile,
      ...extra,
    });
    await waitWhileRunning(
      this.process,
      async () => (await fetch(`${this.url}/health/ready`)).status === 200,
      {
        what: 'the API to be ready',
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
  }

  async stop(): Promise<void> {
    this.process?.kill('SIGTERM');
    await this.process?.exited;
  }

  /** A request as the named token (or with no token: undefined; a raw header value: { header }). */
  async request<T = unknown>(
    method: string,
    path: string,
    as?: string | { header: string },
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (typeof as === 'string') headers.authorization = `Bearer ${this.tokens[as] ?? as}`;
    else if (as) headers.authorization = as.header;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      headers: res.headers,
      body: (type.includes('json') && text ? JSON.parse(text) : text) as T,
    };
  }

  get<T = unknown>(path: string, as?: string | { header: string }) {
    return this.request<T>('GET', path, as);
  }

  post<T = unknown>(path: string, as?: string | { header: string }, body?: unknown) {
    return this.request<T>('POST', path, as, body);
  }
}

export interface StreamEvent {
  event: string;
  id: string;
  data: string;
}

/** A Server-Sent Events client over fetch: collects events until closed. */
export class EventStream {
  readonly events: StreamEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  ended = false;
  private readonly abort = new AbortController();
  private done!: Promise<void>;

  private constructor() {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const stream = new EventStream();
    const res = await fetch(url, { headers, signal: stream.abort.signal });
    stream.status = res.status;
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => undefined);
      stream.ended = true;
      stream.done = Promise.resolve();
      return stream;
    }
    stream.done = stream.read(res.body);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { event: 'message', id: '', data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('data: ')) {
              event.data += line.slice(6);
              isEvent = true;
            }
          }
          if (isEvent) this.events.push(event);
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
    }
  }

  /** The alerts of the `alert` events so far. */
  alerts<T = { alertId: string; revision: number; facilityId: string | null }>(): T[] {
    return this.events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data) as T);
  }

  async waitFor(what: string, predicate: (s: EventStream) => boolean, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => predicate(this), { what, timeoutMs, intervalMs: 50 });
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
