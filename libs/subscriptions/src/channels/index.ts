import type { ChannelFormat } from './channel';
import { dingtalk } from './dingtalk';
import { feishu } from './feishu';
import { webhook } from './webhook';
import { wecom } from './wecom';

/** The channels that send queued deliveries as they are, by name (Alertmanager re-sends a set instead). */
export type QueuedChannel = 'webhook' | 'dingtalk' | 'wecom' | 'feishu';

export function channelFormats(): Record<QueuedChannel, ChannelFormat> {
  return { webhook, dingtalk, wecom, feishu };
}
