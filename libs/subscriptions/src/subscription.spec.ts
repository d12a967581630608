import { SubscriptionRequest } from './subscription';

const base = {
  name: 'DS07 supervisors',
  url: 'https://oapi.dingtalk.com/robot/send?access_token=t',
  facilities: ['ZJ-HZ-DS07'],
  deliver: ['alerts'],
};

function issues(input: object): string[] {
  const parsed = SubscriptionRequest.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('SubscriptionRequest mentions', () => {
  it('takes mobiles and user ids for a robot, mentioning for critical alerts unless told otherwise', () => {
    const parsed = SubscriptionRequest.parse({
      ...base,
      channel: 'dingtalk',
      mentions: { mobiles: ['+8613800000001'], userIds: ['manager01'] },
    });
    expect(parsed.mentions).toEqual({
      mobiles: ['+8613800000001'],
      userIds: ['manager01'],
      minSeverity: 'critical',
    });
  });

  it('refuses mentions on a channel that cannot ring anybody, or naming nobody', () => {
    expect(
      issues({ ...base, channel: 'webhook', secret: 's', mentions: { mobiles: ['13800000001'] } }),
    ).toEqual(['mentions: only a chat robot (dingtalk, wecom, feishu) can @-mention']);
    expect(issues({ ...base, channel: 'wecom', mentions: {} })).toEqual([
      'mentions: name at least one mobile or user id',
    ]);
  });

  it('refuses a mobile that is not a phone number, a user id with spaces, and mobiles for Feishu', () => {
    expect(issues({ ...base, channel: 'dingtalk', mentions: { mobiles: ['call me'] } })[0]).toMatch(
      /^mentions\.mobiles\.0: must be a phone number/,
    );
    expect(issues({ ...base, channel: 'dingtalk', mentions: { userIds: ['a b'] } })[0]).toMatch(
      /^mentions\.userIds\.0: must be a user id/,
    );
    expect(
      issues({
        ...base,
        channel: 'feishu',
        url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x',
        mentions: { mobiles: ['13800000001'] },
      }),
    ).toEqual(['mentions.mobiles: a Feishu bot mentions by user id (open_id or user_id), not by mobile']);
    expect(
      issues({ ...base, channel: 'dingtalk', mentions: { mobiles: ['13800000001'], everyone: true } }),
    ).toHaveLength(1);
  });
});

describe('SubscriptionRequest peers', () => {
  const am = { ...base, channel: 'alertmanager', url: 'http://am-0:9093' };

  it('takes the other members of an Alertmanager HA cluster', () => {
    expect(SubscriptionRequest.parse({ ...am, peers: ['http://am-1:9093'] }).peers).toEqual([
      'http://am-1:9093',
    ]);
  });

  it('refuses peers for another channel, more than four, and ones that are not URLs', () => {
    expect(issues({ ...base, channel: 'dingtalk', peers: ['http://am-1:9093'] })).toEqual([
      'peers: only an Alertmanager subscription has peers (the members of its HA cluster)',
    ]);
    expect(issues({ ...am, peers: Array.from({ length: 5 }, (_, i) => `http://am-${i}:9093`) })).toHaveLength(
      1,
    );
    expect(issues({ ...am, peers: ['am-1'] })[0]).toMatch(/^peers\.0: /);
  });
});
