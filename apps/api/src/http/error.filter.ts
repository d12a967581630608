import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { HttpResponse } from './http-types';

import { JsonLogger } from '@app/observability';

import { ApiError } from './api-error';

const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
};

/** What Express middleware (body-parser, http-errors) throws: a status of the client's making. */
interface ClientFault {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
  message?: unknown;
}

/** The 4xx status an error of Express middleware carries, or null for a fault of ours. */
export function clientStatusOf(exception: unknown): number | null {
  if (typeof exception !== 'object' || exception === null) return null;
  const { status, statusCode } = exception as ClientFault;
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500 ? value : null;
}

function clientMessageOf(exception: ClientFault): string {
  if (exception.type === 'entity.too.large' && typeof exception.limit === 'number')
    return `the request body is larger than the limit of ${exception.limit} bytes`;
  if (exception.type === 'request.aborted') return 'the request body was cut short by the client';
  // http-errors marks the messages that are safe to show; others may hold internals
  if (exception.expose === true && typeof exception.message === 'string') return exception.message;
  return 'the request could not be taken';
}

/**
 * Every error, ours, Nest's (no route, a body that is not JSON) or Express middleware's (a body too
 * large, cut short, of an unknown encoding), as `{"error":{"code","message"}}` with its own status:
 * only a fault of ours is a 500.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    let status = 500;
    let body: { error: { code: string; message: string } };
    if (exception instanceof ApiError) {
      status = exception.getStatus();
      body = exception.getResponse() as typeof body;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = { error: { code: CODES[status] ?? `HTTP_${status}`, message: exception.message } };
    } else if (clientStatusOf(exception) !== null) {
      status = clientStatusOf(exception) as number;
      const message = clientMessageOf(exception as ClientFault);
      body = { error: { code: CODES[status] ?? `HTTP_${status}`, message } };
    } else {
      this.log.error('request failed', { error: (exception as Error)?.message ?? String(exception) });
      body = { error: { code: 'INTERNAL', message: 'internal error' } };
    }
    if (res.destroyed || res.writableEnded) return; // the client is gone: nobody to answer
    if (res.headersSent) {
      res.end();
      return;
    }
    // a stream limit clears as others close theirs: try again a little later, not at once
    if (status === 429) res.setHeader('Retry-After', '10');
    res.status(status).json(body);
  }
}
