import type { INestApplication } from '@nestjs/common';

import type { ApiConfig } from '../api.config';
import { ApiError } from './api-error';
import type { HttpRequest, HttpResponse } from './http-types';

/**
 * What a browser must enforce on the API's answers. The dashboard is three files of our own origin with
 * no inline script, style or handler, so nothing else needs allowing; `frame-ancestors 'none'` keeps the
 * page out of other sites' frames (clickjacking an "Acknowledge" button).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The one body type the API takes. */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

type Next = (error?: unknown) => void;

/**
 * The API's Express set-up, ahead of its routes (runService's `configureHttp`): security headers on
 * every answer (errors included, so they come first), no X-Powered-By, and JSON bodies only, up to
 * HTTP_BODY_LIMIT_BYTES. A body of another type is 415; a body too large 413; a body that is not
 * JSON, or that the client cut short, 400: body-parser's errors carry their status, which the
 * ErrorFilter keeps.
 */
export function configureApiHttp(app: INestApplication, config: ApiConfig): void {
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  app.use((_req: HttpRequest, res: HttpResponse, next: Next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    next();
  });
  app.use((req: HttpRequest, _res: HttpResponse, next: Next) => {
    if (!hasBody(req)) return next();
    const type = req.headers['content-type'];
    if (type !== undefined && JSON_TYPE.test(type)) return next();
    next(
      new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `a request body must be application/json (got ${type === undefined ? 'no Content-Type' : JSON.stringify(type.slice(0, 100))})`,
      ),
    );
  });
  (app as INestApplication & { useBodyParser(type: 'json', options: object): unknown }).useBodyParser(
    'json',
    {
      limit: config.bodyLimitBytes,
      type: (req: HttpRequest) => hasBody(req),
    },
  );
}

/** A request carries a body when it says so (RFC 9112 section 6.3), whatever its method. */
function hasBody(req: HttpRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
