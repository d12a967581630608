import type { AlertKind } from '@app/contracts';

import type { Delivery } from '../delivery';
import type { StoredSubscription } from '../subscription';

/** Kind names as the chat messages show them, Chinese first. */
export const KIND_LABEL: Record<AlertKind, string> = {
  RECEIPT_OVERDUE: '接收超时 Receipt overdue',
  FEEDBACK_OVERDUE: '反馈超时 Feedback overdue',
  ORPHAN_CLOSURE: '孤立闭环 Orphan closure',
  UNCONSENTED_DELIVERY: '未经同意投递 Unconsented delivery',
  SHIFT_UNBALANCED: '班次不平衡 Shift unbalanced',
  CONSUMER_LAG: '消费延迟 Consumer lag',
};

/** Lower is more important: firing critical, firing warning, unbalanced summaries, resolved, balanced. */
export function importanceOf(delivery: Delivery): number {
  const m = delivery.message;
  if (m.type === 'summary') return m.summary.balanced ? 4 : 2;
  if (m.alert.status === 'RESOLVED') return 3;
  return m.alert.severity === 'critical' ? 0 : 1;
}

/** Most important first; among equals, oldest first. Does not change `deliveries`. */
export function byImportance(deliveries: Delivery[]): Delivery[] {
  return [...deliveries].sort(
    (a, b) => importanceOf(a) - importanceOf(b) || a.enqueuedAtMs - b.enqueuedAtMs || (a.id < b.id ? -1 : 1),
  );
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never cutting a character in two. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // a continuation byte: back to the character start
  return bytes.subarray(0, end).toString('utf8');
}

function itemsLine(items: string[], itemCount: number, shown: number): string {
  const list = items.slice(0, shown).join(', ');
  const more = itemCount - Math.min(shown, items.length);
  return more > 0 ? `${list} … and ${more} more / 另有 ${more} 件` : list;
}

const STATUS_MARK = { FIRING: '🔴 FIRING 告警', RESOLVED: '✅ RESOLVED 已恢复' } as const;

/** One line per delivery, for a merged message. */
export function lineOf(delivery: Delivery): string {
  const m = delivery.message;
  if (m.type === 'alert') {
    const a = m.alert;
    const where = [a.facilityId, a.shiftId, a.to ? `${a.from ?? '?'} → ${a.to}` : null]
      .filter(Boolean)
      .join(' ');
    return `- ${STATUS_MARK[a.status]} ${a.severity} ${KIND_LABEL[a.kind]} ${where}: ${a.text} (\`${a.alertId}\` rev ${a.revision})`;
  }
  const s = m.summary;
  const t = s.totals;
  const balance = s.balanced ? '⚖️ balanced 已平衡' : '⚠️ NOT balanced 不平衡';
  return `- 📋 班次汇总 Shift summary ${s.facilityId} ${s.shiftId}: ${balance}, open ${t.open}, orphans ${t.orphans}, handed out ${t.handedOut}, delivered ${t.delivered} (rev ${s.revision})`;
}

/** Title and body of a message about one delivery. */
export function detailOf(delivery: Delivery): { title: string; text: string } {
  const m = delivery.message;
  if (m.type === 'alert') {
    const a = m.alert;
    const title = `${STATUS_MARK[a.status]} ${KIND_LABEL[a.kind]}`;
    const lines = [
      `### ${title}`,
      `**${a.severity}** · ${[a.facilityId, a.shiftId].filter(Boolean).join(' ') || 'system'}`,
      a.to ? `${a.from ?? '?'} → ${a.to}` : '',
      '',
      a.text,
      '',
      a.itemCount > 0 ? `Items 件 (${a.itemCount}): ${itemsLine(a.items, a.itemCount, 20)}` : '',
      `alert \`${a.alertId}\` rev ${a.revision} · since ${a.startsAt}${a.endsAt ? ` · ended ${a.endsAt}` : ''}`,
    ];
    return { title, text: lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n') };
  }
  const s = m.summary;
  const t = s.totals;
  const title = `📋 班次汇总 Shift summary ${s.facilityId} ${s.shiftId}`;
  const lines = [
    `### ${title}`,
    s.balanced ? '⚖️ **balanced 已平衡**' : '⚠️ **NOT balanced 不平衡**',
    '',
    `handed out 交出 ${t.handedOut} · received 接收 ${t.received} · delivered 投递 ${t.delivered} · locker 柜 ${t.locker} · pickup point 驿站 ${t.pickupPoint} · returned 退回 ${t.returned}`,
    `open 未闭环 ${t.open} · orphans 孤立 ${t.orphans} · duplicates 重复 ${t.duplicates} · closed late 超时 ${t.closedLate ?? '–'} · unconsented 未经同意 ${s.violations.unconsentedDelivery}`,
    s.openItems.length > 0 ? `Open items 未闭环件: ${itemsLine(s.openItems, t.open, 20)}` : '',
    `closed ${s.closedAt} · rev ${s.revision}`,
  ];
  return { title, text: lines.filter((l) => l !== '').join('\n') };
}

export interface PackedMarkdown {
  title: string;
  text: string;
  deliveryIds: string[];
}

/**
 * What one chat message says about the due deliveries, most important first, within `maxBytes` of
 * UTF-8: one delivery in full, or several merged one line each. What does not fit stays queued for the
 * next message (the last line says how many); a single delivery too long for the limit is cut short.
 */
export function packMarkdown(due: Delivery[], maxBytes: number): PackedMarkdown {
  const sorted = byImportance(due);
  if (sorted.length === 1) {
    const { title, text } = detailOf(sorted[0]);
    return { title, text: truncateUtf8(text, maxBytes), deliveryIds: [sorted[0].id] };
  }
  const heading = (n: number, a: number, s: number): string => {
    const parts = [a > 0 ? `${a} alert changes 告警变更` : '', s > 0 ? `${s} shift summaries 班次汇总` : ''];
    return `${n} updates 条更新: ${parts.filter(Boolean).join(', ')}`;
  };
  const reserve = 200; // the heading and the "and N more" line
  const lines: string[] = [];
  const ids: string[] = [];
  let bytes = 0;
  let a = 0;
  for (const d of sorted) {
    const line = truncateUtf8(lineOf(d), Math.floor((maxBytes - reserve) / 2));
    const size = utf8Bytes(line) + 1;
    if (ids.length > 0 && bytes + size > maxBytes - reserve) break;
    lines.push(line);
    ids.push(d.id);
    bytes += size;
    if (d.message.type === 'alert') a++;
  }
  const title = heading(ids.length, a, ids.length - a);
  const left = sorted.length - ids.length;
  const text = [
    `### ${title}`,
    ...lines,
    left > 0 ? `… and ${left} more in the next message 其余 ${left} 条稍后发送` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { title, text: truncateUtf8(text, maxBytes), deliveryIds: ids };
}

/** What a message keeps free for its mentions: 40 names of up to 64 bytes, with their `@` or tags. */
export const MENTIONS_ROOM_BYTES = 3_000;

/**
 * Whom a message @-mentions: the subscription's mentions when the message carries a FIRING alert of
 * their `minSeverity` or worse, else nobody. Only what the message carries counts (`sentIds`), not
 * what is left for the next one.
 */
export function mentionsFor(
  sub: StoredSubscription,
  due: Delivery[],
  sentIds: string[],
): { mobiles: string[]; userIds: string[] } | null {
  const mentions = sub.mentions;
  if (!mentions) return null;
  const sent = new Set(sentIds);
  const worthIt = due.some(
    (d) =>
      sent.has(d.id) &&
      d.message.type === 'alert' &&
      d.message.alert.status === 'FIRING' &&
      (mentions.minSeverity === 'warning' || d.message.alert.severity === 'critical'),
  );
  if (!worthIt) return null;
  const mobiles = mentions.mobiles ?? [];
  const userIds = mentions.userIds ?? [];
  return mobiles.length + userIds.length > 0 ? { mobiles, userIds } : null;
}
