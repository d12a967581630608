/** What a masked secret is printed as. */
export const MASK = '***';

// `scheme://userinfo@`: the userinfo runs to the last @ before the path, a list separator or a space
// (an unencoded @ in a password must not leave its tail behind)
const SCHEME_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#,]*)@/gi;
// `user:password@host:port` in a node list, with no scheme
const BARE_USERINFO = /(^|[\s,;="'(])([^\s/?#,;="'(:@]*):([^\s/?#,]*)@/g;
// `?password=...` and the like: ioredis reads URL query parameters as options
const SECRET_PARAM = /([?&](?:password|pass|pwd|secret|token|access_token|auth)=)[^&\s#]*/gi;

/**
 * The text with every password in it masked: that of a URL's userinfo (`redis://user:***@host`; a
 * userinfo without a colon is all masked, as some servers take a lone token for the password), of a
 * `user:password@host` node, and of secret query parameters. Host names, ports and user names stay, so
 * the line still says where the service tried to connect. Applied to every configuration problem and
 * to every log line that names a Redis or Kafka address.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(SCHEME_USERINFO, (_, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}` : MASK}@`;
    })
    .replace(BARE_USERINFO, (whole, before: string, user: string, password: string) =>
      password.startsWith(MASK) ? whole : `${before}${user}:${MASK}@`,
    )
    .replace(SECRET_PARAM, `$1${MASK}`);
}
