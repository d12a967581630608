import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';

import type { Alert } from '@app/contracts';
import { AlertActions } from '@app/ledger';
import { JsonLogger } from '@app/observability';

import { Caller, Requires, TokenInQuery } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { badRequest, conflict, forbidden, notFound } from '../http/api-error';
import type { HttpRequest, HttpResponse } from '../http/http-types';
import { ZodPipe } from '../http/zod.pipe';
import { AlertStreamHub } from '../stream/alert-stream.hub';
import { AlertView, decodeCursor, type AlertPage } from '../store/alert-view';
import { ANY, NO_FACILITY } from '../store/keys';
import { AlertIdParam, AlertListQuery, StreamId, StreamQuery } from './params';

/** The alerts in the caller's scope: list, one, the change stream, acknowledge, resolve. */
@Controller('api/v1/alerts')
export class AlertsController {
  private readonly log: JsonLogger;

  constructor(
    private readonly view: AlertView,
    private readonly actions: AlertActions,
    private readonly hub: AlertStreamHub,
    logger: JsonLogger,
  ) {
    this.log = logger.child('alerts');
  }

  @Get()
  @Requires('alerts:read')
  list(
    @Caller() caller: Principal,
    @Query(new ZodPipe(AlertListQuery)) query: AlertListQuery,
  ): Promise<AlertPage> {
    if (query.cursor && !decodeCursor(query.cursor))
      throw badRequest('cursor: must be the nextCursor of a page');
    let facilities: string[];
    if (query.facilityId) {
      if (!caller.covers(query.facilityId))
        throw forbidden(`${query.facilityId} is not in the scope of ${caller.name}`);
      facilities = [query.facilityId];
    } else if (caller.everyFacility) {
      facilities = [ANY];
    } else {
      facilities = [...caller.facilityIds, ...(caller.seesSystemAlerts ? [NO_FACILITY] : [])];
    }
    return this.view.list({ ...query, facilities });
  }

  /**
   * Server-Sent Events: one `alert` event per change in scope; resumes after Last-Event-ID, or sends a
   * `reset` event when that gap is too long to replay. 429 past the stream limits.
   */
  @Get('stream')
  @Requires('alerts:read')
  @TokenInQuery()
  async stream(
    @Caller() caller: Principal,
    @Query(new ZodPipe(StreamQuery)) query: { lastEventId?: string },
    @Headers('last-event-id') header: string | undefined,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    const lastEventId = header ?? query.lastEventId ?? null;
    if (lastEventId !== null) new ZodPipe(StreamId.describe('Last-Event-ID')).transform(lastEventId);
    this.hub.admit(caller);
    // open for hours: no idle timeout (the server's request timeouts cover receiving the request only)
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\nretry: 3000\n\n');
    await this.hub.attach(caller, res, lastEventId);
  }

  @Get(':alertId')
  @Requires('alerts:read')
  async one(
    @Caller() caller: Principal,
    @Param('alertId', new ZodPipe(AlertIdParam)) alertId: string,
  ): Promise<Alert> {
    return this.alertOf(caller, alertId);
  }

  /** Records the acknowledgement; the watch publishes the next revision with `acknowledgedBy`. */
  @Post(':alertId/ack')
  @HttpCode(202)
  @Requires('alerts:ack')
  async ack(@Caller() caller: Principal, @Param('alertId', new ZodPipe(AlertIdParam)) alertId: string) {
    const alert = await this.alertOf(caller, alertId);
    if (alert.facilityId === null)
      throw conflict(
        `${alert.kind} alerts are the lag monitor's and clear by themselves; they take no acknowledgement`,
      );
    const at = Date.now();
    const outcome = await this.actions.acknowledge(alert.facilityId, alertId, caller.name, at);
    if (outcome === 'unknown') throw notFound(`the watch no longer keeps alert ${alertId}`);
    this.log.info('alert acknowledged', { alertId, kind: alert.kind, by: caller.name });
    return { alert, acknowledgement: { by: caller.name, at: new Date(at).toISOString() } };
  }

  /** Resolves an UNCONSENTED_DELIVERY alert; the watch publishes the RESOLVED revision. */
  @Post(':alertId/resolve')
  @HttpCode(202)
  @Requires('alerts:resolve')
  async resolve(@Caller() caller: Principal, @Param('alertId', new ZodPipe(AlertIdParam)) alertId: string) {
    const alert = await this.alertOf(caller, alertId);
    if (alert.kind !== 'UNCONSENTED_DELIVERY' || alert.facilityId === null)
      throw conflict(
        `only UNCONSENTED_DELIVERY alerts are resolved by hand; ${alert.kind} resolves by itself`,
      );
    const at = Date.now();
    const outcome = await this.actions.resolve(alert.facilityId, alertId, at);
    if (outcome === 'unknown') throw notFound(`the watch no longer keeps alert ${alertId}`);
    if (outcome === 'not-resolvable') throw conflict(`alert ${alertId} is not resolved by hand`);
    this.log.info('alert resolved', { alertId, kind: alert.kind, by: caller.name, outcome });
    return {
      alert,
      resolution: {
        by: caller.name,
        at: new Date(at).toISOString(),
        alreadyResolved: outcome === 'already-resolved',
      },
    };
  }

  private async alertOf(caller: Principal, alertId: string): Promise<Alert> {
    const alert = await this.view.get(alertId);
    if (!alert) throw notFound(`no alert ${alertId}`);
    if (!caller.seesFacility(alert.facilityId))
      throw forbidden(
        `alert ${alertId} is ${alert.facilityId ?? 'a system alert'}, not in the scope of ${caller.name}`,
      );
    return alert;
  }
}
