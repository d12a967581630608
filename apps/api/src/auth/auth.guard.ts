import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { forbidden, unauthorized } from '../http/api-error';
import type { HttpRequest } from '../http/http-types';
import type { Permission, Principal } from './principal';
import { TokenRegistry } from './token-registry';

export const PERMISSION = 'api:permission';
const QUERY_TOKEN = 'api:query-token';
/** the mark of a route that takes no token */
export const PUBLIC = 'public';

/** The permission a route needs. A route names one, or is marked @Public(); else it is refused. */
export const Requires = (permission: Permission | 'authenticated') => SetMetadata(PERMISSION, permission);
/** A route anyone may call, without a token (the dashboard's files). */
export const Public = () => SetMetadata(PERMISSION, PUBLIC);
/** The route also takes the token as `?access_token=` (EventSource cannot send headers). */
export const TokenInQuery = () => SetMetadata(QUERY_TOKEN, true);

/** The request's principal, set by AuthGuard. */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<HttpRequest>().principal!,
);

/**
 * Bearer tokens (SPEC section 7): no token or an unknown one is 401, a role without the route's
 * permission 403. Denies by default: a route that neither names a permission nor is marked @Public()
 * is refused (403) to everyone, so a route added without a thought for auth is closed, not open.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const permission = this.reflector.getAllAndOverride<
      Permission | 'authenticated' | typeof PUBLIC | undefined
    >(PERMISSION, targets);
    if (permission === PUBLIC) return true;
    if (permission === undefined)
      throw forbidden('this route declares no permission, and so is refused to everyone');
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer +(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
      token = match[1];
    } else if (this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN, targets)) {
      const query = req.query.access_token;
      if (typeof query === 'string' && query !== '') token = query;
    }
    if (token === undefined) throw unauthorized('a bearer token is required');
    const principal = this.tokens.authenticate(token);
    if (!principal) throw unauthorized('unknown token');
    if (permission !== 'authenticated' && !principal.may(permission))
      throw forbidden(`the role ${principal.role} may not do this (${permission})`);
    req.principal = principal;
    return true;
  }
}
