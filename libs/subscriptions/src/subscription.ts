import { z } from 'zod';

import { AlertKind, FacilityId } from '@app/contracts';

/** How a subscription is delivered (SPEC section 6). */
export const Channel = z.enum(['webhook', 'dingtalk', 'wecom', 'feishu', 'alertmanager']);
export type Channel = z.infer<typeof Channel>;

/** The chat robots: they take a markdown message, about 20 a minute, and can @-mention people. */
export const ROBOT_CHANNELS = ['dingtalk', 'wecom', 'feishu'] as const satisfies readonly Channel[];
export type RobotChannel = (typeof ROBOT_CHANNELS)[number];

export function isRobot(channel: Channel): channel is RobotChannel {
  return (ROBOT_CHANNELS as readonly Channel[]).includes(channel);
}

/** At most this many Alertmanager peers besides `url` (an HA cluster has two or three members). */
export const MAX_ALERTMANAGER_PEERS = 4;

/**
 * Whom a robot message @-mentions, so that their phone rings: mobiles (DingTalk `atMobiles`, WeCom
 * `mentioned_mobile_list`) and user ids (DingTalk `atUserIds`, WeCom `mentioned_list`, Feishu
 * `<at id=...>` with an open_id or user_id). Only in a message that carries a FIRING alert of
 * `minSeverity` or worse: a supervisor is woken for a critical alert, not for every summary.
 */
export const Mentions = z
  .object({
    mobiles: z
      .array(z.string().regex(/^\+?[0-9]{5,20}$/, 'must be a phone number: digits, an optional leading +'))
      .max(20)
      .optional(),
    userIds: z
      .array(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be a user id: letters, digits, _ . @ -'))
      .max(20)
      .optional(),
    minSeverity: z.enum(['critical', 'warning']).default('critical'),
  })
  .strict();
export type Mentions = z.infer<typeof Mentions>;

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
    /**
     * alertmanager only: the other members of its HA cluster; each one is sent every alert (an
     * Alertmanager cluster shares silences and notifications, not alerts)
     */
    peers: z.array(z.string().max(2_048).url()).min(1).max(MAX_ALERTMANAGER_PEERS).optional(),
    /** HMAC key for webhook / dingtalk / feishu */
    secret: z.string().min(1).max(512).optional(),
    facilities: z
      .array(FacilityId)
      .min(1)
      .or(z.tuple([z.literal('*')])),
    deliver: z.array(z.enum(['alerts', 'summaries'])).min(1),
    /** only these alert kinds; default all */
    kinds: z.array(AlertKind).optional(),
    /** dingtalk, wecom, feishu: whom to @-mention for an alert of minSeverity */
    mentions: Mentions.optional(),
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
  if (input.peers && input.channel !== 'alertmanager') {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['peers'],
      message: 'only an Alertmanager subscription has peers (the members of its HA cluster)',
    });
  }
  const { mentions } = input;
  if (mentions) {
    const custom = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mentions', ...path], message });
    if (!isRobot(input.channel)) custom([], 'only a chat robot (dingtalk, wecom, feishu) can @-mention');
    else if (!mentions.mobiles?.length && !mentions.userIds?.length)
      custom([], 'name at least one mobile or user id');
    else if (input.channel === 'feishu' && mentions.mobiles?.length)
      custom(['mobiles'], 'a Feishu bot mentions by user id (open_id or user_id), not by mobile');
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
  /** Alertmanager only: alert revisions it refused (HTTP 400), set aside rather than re-sent */
  rejected: number;
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
  peers: z.array(z.string().url()).optional(),
  secret: z.string().optional(),
  facilities: z.array(z.string()).min(1),
  deliver: z.array(z.enum(['alerts', 'summaries'])).min(1),
  kinds: z.array(AlertKind).optional(),
  mentions: Mentions.optional(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type StoredSubscription = z.infer<typeof StoredSubscription>;
