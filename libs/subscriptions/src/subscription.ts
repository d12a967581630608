import { z } from 'zod';

import { AlertKind, FacilityId } from '@app/contracts';

/** How a subscription is delivered (SPEC section 6). */
export const Channel = z.enum(['webhook', 'dingtalk', 'wecom', 'feishu', 'alertmanager']);
export type Channel = z.infer<typeof Channel>;

/** What a manager or supervisor asks for: the body of `POST /api/v1/subscriptions`. */
export const SubscriptionInput = z
  .object({
    name: z.string().min(1).max(128),
    channel: Channel,
    /**
     * the receiver: webhook URL, robot URL, or Alertmanager base URL; where it may point is checked
     * against the destination settings by the API (DestinationPolicy), not here
     */
    url: z.string().max(2_048).url(),
    /** HMAC key for webhook / dingtalk / feishu */
    secret: z.string().min(1).max(512).optional(),
    facilities: z
      .array(FacilityId)
      .min(1)
      .or(z.tuple([z.literal('*')])),
    deliver: z.array(z.enum(['alerts', 'summaries'])).min(1),
    /** only these alert kinds; default all */
    kinds: z.array(AlertKind).optional(),
  })
  .strict();
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

/**
 * What the API accepts from a user: a subscription that can really be delivered. A webhook is signed
 * (SPEC section 6), so it needs its secret; Alertmanager takes alerts, and has no place for a summary.
 */
export const SubscriptionRequest = SubscriptionInput.superRefine((input, ctx) => {
  if (input.channel === 'webhook' && input.secret === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['secret'],
      message: 'a webhook is signed: give its secret',
    });
  }
  if (input.channel === 'alertmanager' && input.deliver.includes('summaries')) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['deliver'],
      message: 'Alertmanager receives alerts only; deliver summaries over another channel',
    });
  }
});

/**
 * Where a subscription's deliveries stand. `failedAttempts` counts the failed attempts since the last
 * success (0 when the receiver is answering); `abandoned` the deliveries given up after the retry window.
 */
export interface DeliveryState {
  pending: number;
  delivered: number;
  failedAttempts: number;
  lastDeliveredAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  abandoned: number;
}

/**
 * A stored subscription as the API shows it: the secret is never returned, only whether there is one,
 * and the URL's credentials (robot tokens, userinfo) are masked.
 */
export interface Subscription extends Omit<SubscriptionInput, 'secret'> {
  id: string;
  createdAt: string;
  createdBy: string;
  hasSecret: boolean;
  delivery: DeliveryState;
}

/** A subscription as the notifier reads it, with its secret (stays inside the notifier). */
export const StoredSubscription = z.object({
  id: z.string().min(1),
  name: z.string(),
  channel: Channel,
  url: z.string().url(),
  secret: z.string().optional(),
  facilities: z.array(z.string()).min(1),
  deliver: z.array(z.enum(['alerts', 'summaries'])).min(1),
  kinds: z.array(AlertKind).optional(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type StoredSubscription = z.infer<typeof StoredSubscription>;
