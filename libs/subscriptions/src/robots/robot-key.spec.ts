import { robotKeyOf } from './robot-key';

describe('robotKeyOf', () => {
  it('names a DingTalk robot by its access token, whatever host or other parameters the URL has', () => {
    const direct = robotKeyOf('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=abc');
    const proxied = robotKeyOf('dingtalk', 'http://proxy.internal:8080/robot/send?x=1&access_token=abc');
    expect(proxied).toBe(direct);
    expect(robotKeyOf('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=abd')).not.toBe(direct);
  });

  it('names a WeCom robot by its key and a Feishu bot by its hook token', () => {
    expect(robotKeyOf('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1')).toBe(
      robotKeyOf('wecom', 'http://127.0.0.1:9/cgi-bin/webhook/send?key=k1&debug=1'),
    );
    expect(robotKeyOf('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/t1')).toBe(
      robotKeyOf('feishu', 'https://open.larksuite.com/open-apis/bot/v2/hook/t1'),
    );
    expect(robotKeyOf('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/t1')).not.toBe(
      robotKeyOf('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/t2'),
    );
  });

  it('keeps robots of different vendors apart, and never puts the token itself in the key', () => {
    const key = robotKeyOf('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=same');
    expect(key).not.toBe(robotKeyOf('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=same'));
    expect(key).toMatch(/^[0-9a-f]{32}$/);
  });

  it('counts a URL without a token as a robot of its own, ignoring the per-send signature', () => {
    const a = robotKeyOf('dingtalk', 'http://proxy:1/send?timestamp=1&sign=x');
    expect(a).toBe(robotKeyOf('dingtalk', 'http://proxy:1/send?timestamp=2&sign=y'));
    expect(a).not.toBe(robotKeyOf('dingtalk', 'http://proxy:2/send'));
  });
});
