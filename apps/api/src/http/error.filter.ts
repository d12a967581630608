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
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Every error, ours or Nest's (no route, a body that is not JSON), as `{"error":{"code","message"}}`. */
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
    } else {
      this.log.error('request failed', { error: (exception as Error)?.message ?? String(exception) });
      body = { error: { code: 'INTERNAL', message: 'internal error' } };
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  }
}
