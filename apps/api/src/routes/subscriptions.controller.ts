import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { z } from 'zod';

import {
  DestinationPolicy,
  SubscriptionRequest,
  SubscriptionStore,
  type Subscription,
  type SubscriptionInput,
} from '@app/subscriptions';

import type { ApiConfig } from '../api.config';
import { API_CONFIG } from '../api.tokens';
import { Caller, Requires } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { badRequest, forbidden, notFound } from '../http/api-error';
import { ZodPipe } from '../http/zod.pipe';

const SubscriptionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a subscription id');

/**
 * Subscriptions in the caller's scope (SPEC.md section 7): one is in scope when every facility of it is,
 * and a '*' subscription only for a '*' token. The notifier delivers them. A URL is untrusted: one
 * the notifier would refuse to send to (a robot off its vendor's hosts, a loopback, private or metadata
 * address, ...) is refused here with 400 and why; credentials in URLs are masked in every answer.
 */
@Controller('api/v1/subscriptions')
export class SubscriptionsController {
  private readonly destinations: DestinationPolicy;

  constructor(
    private readonly store: SubscriptionStore,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.destinations = new DestinationPolicy(config.subscriptionDestinations);
  }

  @Get()
  @Requires('subscriptions:manage')
  async list(@Caller() caller: Principal): Promise<{ items: Subscription[] }> {
    const all = await this.store.list();
    return { items: all.filter((s) => caller.coversAll(s.facilities)) };
  }

  @Get(':id')
  @Requires('subscriptions:manage')
  one(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(SubscriptionId)) id: string,
  ): Promise<Subscription> {
    return this.inScope(caller, id);
  }

  @Post()
  @HttpCode(201)
  @Requires('subscriptions:manage')
  async create(
    @Caller() caller: Principal,
    @Body(new ZodPipe(SubscriptionRequest)) input: SubscriptionInput,
  ): Promise<Subscription> {
    if (!caller.coversAll(input.facilities))
      throw forbidden(`the subscription's facilities are not all in the scope of ${caller.name}`);
    const refusal = await this.destinations.creationRefusal(input.channel, input.url);
    if (refusal) throw badRequest(`url: ${refusal}`);
    // every member of an Alertmanager HA cluster is a destination of its own
    for (const [i, peer] of (input.peers ?? []).entries()) {
      const peerRefusal = await this.destinations.creationRefusal(input.channel, peer);
      if (peerRefusal) throw badRequest(`peers[${i}]: ${peerRefusal}`);
    }
    return this.store.create(input, caller.name);
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('subscriptions:manage')
  async remove(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(SubscriptionId)) id: string,
  ): Promise<void> {
    await this.inScope(caller, id);
    if (!(await this.store.delete(id))) throw notFound(`no subscription ${id}`);
  }

  private async inScope(caller: Principal, id: string): Promise<Subscription> {
    const subscription = await this.store.get(id);
    if (!subscription) throw notFound(`no subscription ${id}`);
    if (!caller.coversAll(subscription.facilities))
      throw forbidden(`subscription ${id} is not in the scope of ${caller.name}`);
    return subscription;
  }
}
