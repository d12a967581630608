import { maskedUrl } from './mask';

describe('maskedUrl', () => {
  it("masks DingTalk's access_token and WeCom's key, and keeps the rest of the URL", () => {
    expect(maskedUrl('https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef')).toBe(
      'https://oapi.dingtalk.com/robot/send?access_token=***',
    );
    expect(maskedUrl('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx&debug=1')).toBe(
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***&debug=1',
    );
  });

  it("masks a Feishu or Lark bot's hook token in the path", () => {
    expect(maskedUrl('https://open.feishu.cn/open-apis/bot/v2/hook/2a1f-77bd-4b1e')).toBe(
      'https://open.feishu.cn/open-apis/bot/v2/hook/***',
    );
    expect(maskedUrl('https://open.larksuite.com/open-apis/bot/v2/hook/abc?x=1')).toBe(
      'https://open.larksuite.com/open-apis/bot/v2/hook/***?x=1',
    );
  });

  it('masks the userinfo of a webhook URL, user and password', () => {
    expect(maskedUrl('https://desk:s3cr3t@hooks.example.com/hbm')).toBe(
      'https://***:***@hooks.example.com/hbm',
    );
    expect(maskedUrl('https://tokenonly@hooks.example.com/hbm')).toBe('https://***@hooks.example.com/hbm');
  });

  it('masks any credential-like query parameter, however spelled, every time it occurs', () => {
    const shown = maskedUrl(
      'https://hooks.example.com/x?Token=a&api_key=b&secret=c&password=d&sig=e&page=2&token=f',
    );
    expect(shown).not.toMatch(/=(a|b|c|d|e|f)(&|$)/);
    expect(shown).toContain('page=2');
  });

  it('leaves a URL without credentials as it was', () => {
    expect(maskedUrl('http://am.internal:9093/')).toBe('http://am.internal:9093/');
  });
});
