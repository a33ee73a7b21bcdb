/**
 * The dashboard's sign-in sessions: a token presented once (in a POST body, never a URL) is exchanged for a
 * random session id kept in an `HttpOnly`, `SameSite=Strict` cookie that expires. The id maps to the owner
 * the token names; the token itself is not kept.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"

/**
 * The cookie's name.
 *
 * @since 0.1.0
 * @category cookies
 */
export const COOKIE_NAME = "mcp_bg_dashboard"

/**
 * How long a session lasts after sign-in (12 hours).
 *
 * @since 0.1.0
 * @category cookies
 */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000

/** Sessions kept at most; the oldest go first (a page that signs in in a loop cannot fill memory). */
const MAX_SESSIONS = 1000

/**
 * The value of one cookie in a `Cookie` header, or `undefined`.
 *
 * @since 0.1.0
 * @category cookies
 */
export const readCookie = (header: string | undefined, name: string): string | undefined => {
  if (header === undefined) return undefined
  for (const part of header.split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * The `Set-Cookie` value for a session id (`Secure` behind TLS); with `id` undefined, one that clears it.
 *
 * @since 0.1.0
 * @category cookies
 */
export const sessionCookie = (id: string | undefined, secure: boolean, maxAgeMs = SESSION_LIFETIME_MS): string =>
  [
    `${COOKIE_NAME}=${id ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${id === undefined ? 0 : Math.floor(maxAgeMs / 1000)}`,
    ...(secure ? ["Secure"] : [])
  ].join("; ")

/**
 * The session store of one dashboard.
 *
 * @since 0.1.0
 * @category models
 */
export interface DashboardSessions {
  /** A new session for `owner`; returns its id. */
  readonly open: (owner: string, now: number) => string
  /** The owner of a live session, or `undefined` (unknown or expired). */
  readonly owner: (id: string | undefined, now: number) => string | undefined
  readonly close: (id: string | undefined) => void
}

/**
 * An in-memory session store (sessions end with the server).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSessions = (lifetimeMs = SESSION_LIFETIME_MS): DashboardSessions => {
  const sessions = new Map<string, { readonly owner: string; readonly expires: number }>()
  return {
    open: (owner, now) => {
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!)
      const id = randomBytes(32).toString("base64url")
      sessions.set(id, { owner, expires: now + lifetimeMs })
      return id
    },
    owner: (id, now) => {
      if (id === undefined) return undefined
      const session = sessions.get(id)
      if (session === undefined) return undefined
      if (session.expires <= now) {
        sessions.delete(id)
        return undefined
      }
      return session.owner
    },
    close: (id) => {
      if (id !== undefined) sessions.delete(id)
    }
  }
}
