import type { Channel } from '../subscription';

import { alertmanager, type AlertmanagerOptions } from './alertmanager';
import type { ChannelFormat } from './channel';
import { dingtalk } from './dingtalk';
import { feishu } from './feishu';
import { webhook } from './webhook';
import { wecom } from './wecom';

/** Every channel's format, by name. */
export function channelFormats(options: AlertmanagerOptions): Record<Channel, ChannelFormat> {
  return { webhook, dingtalk, wecom, feishu, alertmanager: alertmanager(options) };
}
