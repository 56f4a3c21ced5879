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
