import 'reflect-metadata';

import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ApiError } from '../http/api-error';
import { AuthGuard, Public, Requires } from './auth.guard';
import { sha256Hex, TokenRegistry } from './token-registry';

class Routes {
  @Requires('alerts:read')
  read() {}

  @Public()
  page() {}

  forgotten() {}
}

@Public()
class PublicRoutes {
  file() {}
}

describe('the auth guard', () => {
  const guard = new AuthGuard(
    new Reflector(),
    new TokenRegistry([{ name: 'ops', sha256: sha256Hex('t0ken'), role: 'admin', facilities: ['*'] }]),
  );
  const contextOf = (target: object, handler: () => void, authorization?: string): ExecutionContext =>
    ({
      getHandler: () => handler,
      getClass: () => target,
      switchToHttp: () => ({
        getRequest: () => ({ headers: authorization ? { authorization } : {}, query: {} }),
      }),
    }) as unknown as ExecutionContext;
  const statusOf = (run: () => boolean): number | 'allowed' => {
    try {
      return run() ? 'allowed' : 0;
    } catch (error) {
      return (error as ApiError).getStatus();
    }
  };
  const routes = Routes.prototype;

  it('lets a token with the permission through, and refuses a request without one with 401', () => {
    expect(statusOf(() => guard.canActivate(contextOf(Routes, routes.read, 'Bearer t0ken')))).toBe('allowed');
    expect(statusOf(() => guard.canActivate(contextOf(Routes, routes.read)))).toBe(401);
  });

  it('lets anyone call a route marked @Public(), on the route or on its controller', () => {
    expect(statusOf(() => guard.canActivate(contextOf(Routes, routes.page)))).toBe('allowed');
    expect(statusOf(() => guard.canActivate(contextOf(PublicRoutes, PublicRoutes.prototype.file)))).toBe(
      'allowed',
    );
  });

  it('refuses a route that declares no permission to everyone, even a valid admin token', () => {
    expect(statusOf(() => guard.canActivate(contextOf(Routes, routes.forgotten)))).toBe(403);
    expect(statusOf(() => guard.canActivate(contextOf(Routes, routes.forgotten, 'Bearer t0ken')))).toBe(403);
  });
});
