/**
 * Service URLs as logs, audit records and stored errors may show them.
 *
 * @module
 */

/**
 * The URL's origin and path only. Its query and any user or password are
 * dropped, not masked: a receiver may take an API key or token there, even
 * as a bare `?<token>` that has no name to keep. Text that is not a URL
 * becomes a placeholder, since it cannot be cut safely.
 *
 * @example
 * urlForLog("https://amp.example.com/updates?api_key=k") // "https://amp.example.com/updates"
 */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(a URL that cannot be read)";
  }
}

/**
 * Where a `Location` header points, relative to `base`, without its
 * userinfo, query or fragment (a redirect may carry credentials there); a
 * phrase when there is none or it cannot be read.
 */
export function redirectTargetForLog(location: string | undefined, base: string | URL): string {
  if (!location) return "another URL (it sent no Location)";
  try {
    return urlForLog(new URL(location, base).href);
  } catch {
    return "a URL that cannot be read";
  }
}
