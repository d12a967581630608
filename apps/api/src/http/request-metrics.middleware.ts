import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from './http-types';

import { Metrics } from '@app/observability';

/** Times every request by route template (never the raw path: ids would make the labels unbounded). */
@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: HttpRequest, res: HttpResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ?? '(unmatched)';
      if (route.endsWith('/alerts/stream')) return; // open for hours: the clients gauge covers it
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpRequestSeconds.observe(
        { method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` },
        seconds,
      );
    });
    next();
  }
}
