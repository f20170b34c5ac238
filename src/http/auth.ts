// Who may use the HTTP endpoints: the token (Bearer header, or the cookie the
// `?token=` link sets), and requests whose Host and Origin name this server.
//
// DNS rebinding: a page on evil.example can re-point its name at 127.0.0.1 and
// then read our answers as same-origin. The browser still sends
// `Host: evil.example`, so a loopback server accepts only loopback host names.
// A cross-site page cannot set our cookie (SameSite=Strict) nor read answers
// without CORS, and a write from it carries an Origin we refuse.
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'drover_token';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  return h === '::1';
}

export function sameToken(given: string | undefined, token: string): boolean {
  return tokenMatcher(token)(given);
}

/** sameToken against one token, its bytes made once (a scrape's request compares one string). */
export function tokenMatcher(token: string): (given: string | undefined) => boolean {
  const b = Buffer.from(token);
  return (given) => {
    if (given === undefined) return false;
    const a = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  };
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token a request carries: `Authorization: Bearer …`, else the cookie. */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return cookieValue(req.headers.cookie, COOKIE);
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-cased. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * A server bound to loopback answers only to loopback names (rebinding); one
 * bound elsewhere was started with an explicit token, and names vary
 * (proxies, DNS), so any Host is accepted there.
 */
export function hostAllowed(header: string | undefined, boundHost: string): boolean {
  if (header === undefined || header === '') return false;
  if (!isLoopback(boundHost)) return true;
  return LOOPBACK_NAMES.has(hostName(header));
}

/** A browser's Origin must be this very server (scheme http, the same host:port as the Host header). */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}
