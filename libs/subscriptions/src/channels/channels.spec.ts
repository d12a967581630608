import { createHmac } from 'node:crypto';

import { MAX_ALERT_ITEMS } from '@app/contracts';

import { alertOf, deliveryOf, subscriptionOf, summaryOf } from '../testing/fixtures';

import { alertmanagerAlertOf, alertmanagerRequest } from './alertmanager';
import { deliveryResultsOf, robotFailureOf } from './channel';
import { dingtalk, dingtalkSign } from './dingtalk';
import { feishu, feishuSign } from './feishu';
import { packMarkdown, truncateUtf8 } from './format';
import { webhook, webhookSignature } from './webhook';
import { wecom, WECOM_MAX_CONTENT_BYTES } from './wecom';

const now = new Date('2026-11-27T06:00:00.000Z');
const alertDelivery = (revision: number, extra = {}) =>
  deliveryOf({ type: 'alert', alert: alertOf({ revision, ...extra }) }, revision);

describe('webhook', () => {
  it('signs the exact body bytes with the secret', () => {
    const sub = subscriptionOf({ secret: 's3cret' });
    const req = webhook.request(sub, [alertDelivery(1)], now);
    const expected = createHmac('sha256', 's3cret').update(Buffer.from(req.body, 'utf8')).digest('hex');
    expect(req.headers['x-signature']).toBe(`sha256=${expected}`);
    expect(webhookSignature('s3cret', req.body)).toBe(`sha256=${expected}`);
  });

  it('carries every due delivery in queue order, with its id', () => {
    const due = [
      alertDelivery(1),
      deliveryOf({ type: 'summary', summary: summaryOf() }, 2),
      alertDelivery(2),
    ];
    const req = webhook.request(subscriptionOf(), due, now);
    const body = JSON.parse(req.body) as { deliveries: { id: string; type: string }[] };
    expect(body.deliveries.map((d) => d.id)).toEqual(due.map((d) => d.id));
    expect(body.deliveries.map((d) => d.type)).toEqual(['alert', 'summary', 'alert']);
    expect(req.deliveryIds).toEqual(due.map((d) => d.id));
  });

  it('sends no signature header without a secret, and takes any 2xx as delivered', () => {
    const req = webhook.request(subscriptionOf({ secret: undefined }), [alertDelivery(1)], now);
    expect(req.headers['x-signature']).toBeUndefined();
    expect(webhook.failureOf({ status: 204, body: '' })).toBeNull();
    expect(webhook.failureOf({ status: 503, body: '' })).toEqual({ error: 'HTTP 503', result: 'retried' });
  });
});

describe('dingtalk', () => {
  it('puts timestamp (ms) and the URL-encoded sign on the robot URL', () => {
    const sub = subscriptionOf({
      channel: 'dingtalk',
      url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
    });
    const req = dingtalk.request(sub, [alertDelivery(1)], now);
    const url = new URL(req.url);
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe(String(now.getTime()));
    const expected = createHmac('sha256', 'SECtest').update(`${now.getTime()}\nSECtest`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(expected);
    expect(req.url).toContain(`sign=${encodeURIComponent(expected).replace(/%20/g, '+')}`);
    expect(dingtalkSign('SECtest', now.getTime())).toBe(expected);
  });

  it('sends a markdown message with a title and text', () => {
    const req = dingtalk.request(subscriptionOf({ channel: 'dingtalk' }), [alertDelivery(3)], now);
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { title: string; text: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toContain('反馈超时');
    expect(body.markdown.text).toContain('rev 3');
    expect(body.markdown.text).toContain('EA123456785CN');
  });

  it('fails on a non-zero errcode, and on sending too fast pauses the robot for its 10-minute block', () => {
    expect(dingtalk.failureOf({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' })).toBeNull();
    expect(dingtalk.failureOf({ status: 200, body: '{"errcode":130101,"errmsg":"send too fast"}' })).toEqual({
      error: 'dingtalk errcode 130101',
      result: '130101',
      pauseMinutes: 10,
    });
    expect(dingtalk.failureOf({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' })).toEqual(
      {
        error: 'dingtalk errcode 310000',
        result: '310000',
      },
    );
    expect(dingtalk.failureOf({ status: 200, body: 'oops' })?.error).toBe('dingtalk: the reply is not JSON');
  });

  it("says only a status or the vendor's code, never what the receiver wrote (lastError is shown by the API)", () => {
    const leak = 'root:x:0:0:root:/root:/bin/bash';
    const replies = [
      { status: 500, body: leak },
      { status: 200, body: leak },
      { status: 200, body: JSON.stringify({ errcode: 310000, errmsg: leak }) },
      { status: 200, body: JSON.stringify({ errcode: leak }) },
      { status: 200, body: JSON.stringify({ code: leak, msg: leak }) },
      { status: 302, body: leak },
    ];
    const failures = replies.flatMap((r) => [dingtalk.failureOf(r), wecom.failureOf(r), feishu.failureOf(r)]);
    expect(failures.filter((f) => JSON.stringify(f).includes('root'))).toEqual([]);
    expect(failures.filter((f) => f !== null)).toHaveLength(14); // no code at all: delivered
    expect(dingtalk.failureOf(replies[0])?.error).toBe('HTTP 500');
    expect(dingtalk.failureOf(replies[2])?.error).toBe('dingtalk errcode 310000');
    expect(dingtalk.failureOf(replies[3])).toEqual({
      error: 'dingtalk errcode is not a number',
      result: 'other',
    });
    expect(feishu.failureOf(replies[4])?.error).toBe('feishu code is not a number');
    expect(wecom.failureOf(replies[5])?.error).toBe('HTTP 302');
  });

  it("keeps the vendor's code of a non-2xx reply, and counts an unknown code as other", () => {
    expect(
      wecom.failureOf({ status: 429, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' }),
    ).toEqual({
      error: 'wecom errcode 45009 (HTTP 429)',
      result: '45009',
      pauseMinutes: 1,
    });
    expect(dingtalk.failureOf({ status: 400, body: '{"errcode":400102,"errmsg":"robot disabled"}' })).toEqual(
      {
        error: 'dingtalk errcode 400102 (HTTP 400)',
        result: '400102',
      },
    );
    expect(feishu.failureOf({ status: 200, body: '{"code":12345,"msg":"new"}' })).toEqual({
      error: 'feishu code 12345',
      result: 'other',
    });
    expect(feishu.failureOf({ status: 200, body: '{"code":11232,"msg":"frequency limited"}' })).toMatchObject(
      {
        result: '11232',
        pauseMinutes: 1,
      },
    );
  });

  it('pauses a robot that answers HTTP 429 for its Retry-After, else for a minute', () => {
    expect(robotFailureOf({ status: 429, body: '', retryAfterSeconds: 30 }, 'feishu')).toEqual({
      error: 'HTTP 429',
      result: 'http_429',
      pauseMs: 30_000,
    });
    expect(robotFailureOf({ status: 429, body: 'busy' }, 'dingtalk')).toEqual({
      error: 'HTTP 429',
      result: 'http_429',
      pauseMinutes: 1,
    });
    expect(robotFailureOf({ status: 429, body: '', retryAfterSeconds: 86_400 }, 'wecom')?.pauseMs).toBe(
      3_600_000,
    );
  });

  it('counts deliveries under a bounded set of results, each vendor its own codes', () => {
    expect(deliveryResultsOf('webhook')).toEqual(['delivered', 'retried', 'abandoned']);
    expect(deliveryResultsOf('alertmanager')).toContain('rejected');
    expect(deliveryResultsOf('dingtalk')).toEqual(
      expect.arrayContaining(['130101', '310000', 'http_429', 'other']),
    );
    expect(deliveryResultsOf('wecom')).toContain('45009');
    expect(deliveryResultsOf('feishu')).toContain('11232');
    expect(deliveryResultsOf('feishu')).not.toContain('130101');
  });
});

describe('wecom', () => {
  it('keeps a merged message within 4,096 bytes and leaves the rest for the next one', () => {
    const due = Array.from({ length: 200 }, (_, i) => alertDelivery(i + 1, { text: '未闭环 '.repeat(10) }));
    const req = wecom.request(subscriptionOf({ channel: 'wecom' }), due, now);
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe('markdown');
    expect(Buffer.byteLength(body.markdown.content, 'utf8')).toBeLessThanOrEqual(WECOM_MAX_CONTENT_BYTES);
    expect(req.deliveryIds.length).toBeGreaterThan(1);
    expect(req.deliveryIds.length).toBeLessThan(200);
    expect(body.markdown.content).toContain(`and ${200 - req.deliveryIds.length} more`);
    for (const id of req.deliveryIds) expect(body.markdown.content).toContain(`rev ${id.split('|').pop()})`);
  });

  it('cuts a single delivery too long for the limit without splitting a character', () => {
    const items = Array.from({ length: MAX_ALERT_ITEMS }, (_, i) => `EA${String(i).padStart(8, '0')}5CN`);
    const text = '包裹'.repeat(3_000);
    const req = wecom.request(
      subscriptionOf({ channel: 'wecom' }),
      [alertDelivery(1, { items, itemCount: 5_000, text })],
      now,
    );
    const content = (JSON.parse(req.body) as { markdown: { content: string } }).markdown.content;
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(WECOM_MAX_CONTENT_BYTES);
    expect(content).not.toContain('\uFFFD');
    expect(req.deliveryIds).toHaveLength(1);
  });
});

describe('truncateUtf8', () => {
  it('never cuts a multibyte character in two', () => {
    for (let max = 0; max <= 12; max++) {
      const cut = truncateUtf8('a包裹😀b', max);
      expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
      expect('a包裹😀b'.startsWith(cut)).toBe(true);
    }
  });
});

describe('feishu', () => {
  it('signs with timestamp (s) and sign in the body, keyed by timestamp and secret over nothing', () => {
    const req = feishu.request(subscriptionOf({ channel: 'feishu' }), [alertDelivery(1)], now);
    const body = JSON.parse(req.body) as { timestamp: string; sign: string; msg_type: string };
    const seconds = Math.floor(now.getTime() / 1000);
    expect(body.timestamp).toBe(String(seconds));
    const expected = createHmac('sha256', `${seconds}\nSECtest`).update(Buffer.alloc(0)).digest('base64');
    expect(body.sign).toBe(expected);
    expect(feishuSign('SECtest', seconds)).toBe(expected);
    expect(body.msg_type).toBe('interactive');
  });

  it('fails on a non-zero code', () => {
    expect(feishu.failureOf({ status: 200, body: '{"code":0,"msg":"success","data":{}}' })).toBeNull();
    expect(feishu.failureOf({ status: 200, body: '{"code":19021,"msg":"sign match fail"}' })).toEqual({
      error: 'feishu code 19021',
      result: '19021',
    });
  });
});

describe('alertmanager', () => {
  const options = { publicBaseUrl: 'https://handover.example/', horizonMs: 240_000 };

  it('posts an array of alerts with labels, annotations and a generator URL to /api/v2/alerts', () => {
    const req = alertmanagerRequest('http://am:9093/', [
      alertmanagerAlertOf(alertOf({ revision: 2 }), now, options),
    ]);
    expect(req.url).toBe('http://am:9093/api/v2/alerts');
    const [alert] = JSON.parse(req.body) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt: string;
      generatorURL: string;
    }[];
    expect(alert.labels).toEqual({
      alertname: 'FEEDBACK_OVERDUE',
      alertId: alertOf().alertId,
      severity: 'critical',
      facility: 'ZJ-HZ-DS07',
      shift: '2026-11-27/AM',
      from: 'ZJ-HZ-DS07',
      to: 'ZJ-HZ-DS07/R03',
    });
    expect(alert.annotations.summary).toBe(alertOf().text);
    expect(alert.annotations.items).toBe('EA123456785CN, EB000000014CN');
    expect(alert.annotations.revision).toBe('2');
    expect(alert.annotations.acknowledgedBy).toBeUndefined();
    expect(alert.startsAt).toBe(alertOf().startsAt);
    expect(alert.generatorURL).toBe(
      `https://handover.example/api/v1/alerts/${encodeURIComponent(alertOf().alertId)}`,
    );
  });

  it('sets a FIRING alert to end a few re-send intervals after now, so that only re-sending keeps it', () => {
    const alert = alertmanagerAlertOf(alertOf(), now, options);
    expect(alert.endsAt).toBe('2026-11-27T06:04:00.000Z');
    const later = alertmanagerAlertOf(alertOf(), new Date(now.getTime() + 60_000), options);
    expect(later.endsAt).toBe('2026-11-27T06:05:00.000Z');
  });

  it('says who acknowledged an alert, in an annotation (labels identify the alert and stay the same)', () => {
    const acked = alertmanagerAlertOf(alertOf({ revision: 2, acknowledgedBy: 'supervisor-7' }), now, options);
    expect(acked.annotations.acknowledgedBy).toBe('supervisor-7');
    expect(acked.labels).toEqual(alertmanagerAlertOf(alertOf(), now, options).labels);
  });

  it('ends a RESOLVED alert at its endsAt and leaves out labels that are null', () => {
    const lag = alertOf({
      kind: 'CONSUMER_LAG',
      alertId: 'CONSUMER_LAG|hbm-ledger',
      severity: 'warning',
      facilityId: null,
      shiftId: null,
      from: null,
      to: null,
      status: 'RESOLVED',
      endsAt: '2026-11-27T05:30:00.000Z',
    });
    const alert = alertmanagerAlertOf(lag, now, options);
    expect(Object.keys(alert.labels).sort()).toEqual(['alertId', 'alertname', 'severity']);
    expect(alert.endsAt).toBe('2026-11-27T05:30:00.000Z');
  });
});

describe('mentions', () => {
  const warning = (revision: number) => alertDelivery(revision, { severity: 'warning' });
  const mentions = { mobiles: ['13800000001'], userIds: ['ops-lead'], minSeverity: 'critical' as const };

  it('DingTalk: names the mobiles and user ids in `at` and in the text, for a critical FIRING alert', () => {
    const sub = subscriptionOf({ channel: 'dingtalk', mentions });
    const body = JSON.parse(dingtalk.request(sub, [alertDelivery(1)], now).body) as {
      markdown: { text: string };
      at: { atMobiles: string[]; atUserIds: string[]; isAtAll: boolean };
    };
    expect(body.at).toEqual({ atMobiles: ['13800000001'], atUserIds: ['ops-lead'], isAtAll: false });
    expect(body.markdown.text).toMatch(/@13800000001 @ops-lead$/);
  });

  it('mentions nobody for a warning or a resolved alert unless asked to from warning up', () => {
    const sub = subscriptionOf({ channel: 'dingtalk', mentions });
    const resolved = alertDelivery(2, { status: 'RESOLVED', endsAt: '2026-11-27T05:00:00.000Z' });
    for (const due of [[warning(1)], [resolved]]) {
      const body = JSON.parse(dingtalk.request(sub, due, now).body) as {
        at?: unknown;
        markdown: { text: string };
      };
      expect(body.at).toBeUndefined();
      expect(body.markdown.text).not.toContain('@');
    }
    const fromWarning = subscriptionOf({
      channel: 'dingtalk',
      mentions: { ...mentions, minSeverity: 'warning' },
    });
    expect(JSON.parse(dingtalk.request(fromWarning, [warning(1)], now).body)).toHaveProperty('at');
  });

  it('WeCom: sends a text message with mentioned_mobile_list and mentioned_list, within 2,048 bytes', () => {
    const sub = subscriptionOf({ channel: 'wecom', mentions });
    const due = Array.from({ length: 50 }, (_, i) => alertDelivery(i + 1, { text: '未闭环 '.repeat(10) }));
    const req = wecom.request(sub, due, now);
    const body = JSON.parse(req.body) as {
      msgtype: string;
      text: { content: string; mentioned_list: string[]; mentioned_mobile_list: string[] };
    };
    expect(body.msgtype).toBe('text');
    expect(body.text.mentioned_mobile_list).toEqual(['13800000001']);
    expect(body.text.mentioned_list).toEqual(['ops-lead']);
    expect(Buffer.byteLength(body.text.content, 'utf8')).toBeLessThanOrEqual(2_048);
    expect(body.text.content).not.toContain('**');
    expect(req.deliveryIds.length).toBeGreaterThan(0);
    // without anything worth a mention: markdown as usual
    expect(JSON.parse(wecom.request(sub, [warning(1)], now).body)).toMatchObject({ msgtype: 'markdown' });
  });

  it('Feishu: puts <at id=...></at> for each user id in the card', () => {
    const sub = subscriptionOf({
      channel: 'feishu',
      mentions: { userIds: ['ou_abc'], minSeverity: 'critical' },
    });
    const body = JSON.parse(feishu.request(sub, [alertDelivery(1)], now).body) as {
      card: { elements: { content: string }[] };
    };
    expect(body.card.elements[0].content).toMatch(/<at id=ou_abc><\/at>$/);
  });
});

describe('packMarkdown', () => {
  it('merges many deliveries into one message, most important first', () => {
    const due = [
      alertDelivery(1, { status: 'RESOLVED', endsAt: '2026-11-27T05:00:00.000Z' }),
      alertDelivery(2, { severity: 'warning' }),
      deliveryOf({ type: 'summary', summary: summaryOf() }, 3),
      alertDelivery(4),
    ];
    const packed = packMarkdown(due, 20_000);
    expect(packed.title).toContain('4 updates');
    expect(packed.deliveryIds).toEqual([due[3].id, due[1].id, due[2].id, due[0].id]);
  });
});
