import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Principal } from '../auth/principal';

/** What the API uses of an Express request (the project does not carry @types/express). */
export interface HttpRequest extends IncomingMessage {
  route?: { path?: string };
  query: Record<string, unknown>;
  /** set by the auth guard */
  principal?: Principal;
}

/** What the API uses of an Express response. */
export interface HttpResponse extends ServerResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
}
