/** What a masked credential is shown as. */
export const MASKED = '***';

/** Query parameters that carry a credential: DingTalk's access_token, WeCom's key, and their like. */
const SECRET_PARAM = /token|key|secret|passw|pwd|sig|auth|credential/i;

/** Feishu/Lark: the bot's token is the path segment after `/hook/`. */
const HOOK_TOKEN = /(\/hook\/)[^/?#]+/gi;

/**
 * A subscription URL as the API shows it: whoever may list subscriptions sees where they go, not
 * the credentials in them. Userinfo (user and password), credential-like query parameters
 * (`access_token`, `key`, ...) and a Feishu hook token are masked; only the notifier sees them whole.
 */
export function maskedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return MASKED;
  }
  if (url.username) url.username = MASKED;
  if (url.password) url.password = MASKED;
  for (const name of new Set(url.searchParams.keys()))
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, MASKED);
  url.pathname = url.pathname.replace(HOOK_TOKEN, `$1${MASKED}`);
  return url.toString();
}
