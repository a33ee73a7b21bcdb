/**
 * The dashboard's HTTP surface: the static page (`/`, `/dashboard.js`, `/dashboard.css`), sign-in
 * (`POST /api/session` with the token in the body, answered with a session cookie), the JSON endpoints the
 * page reads and acts through (`/api/jobs…`), and the live feed (`/api/events`). Every endpoint but the
 * page and sign-in needs the session cookie or the bearer token; each acts on the jobs its owner may see.
 * A state-changing request is refused unless it comes from the dashboard's own origin (or from no browser).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as http from "node:http"
import type { JobManagerService } from "../../JobManager.js"
import { cursorFor } from "../../internal/Job.js"
import type { TokenVerifier } from "../HttpAuth.js"
import { normalizeOrigin } from "../HttpConfig.js"
import { readBody } from "../router.js"
import { type Asset, assets } from "./assets.js"
import { serveFeed } from "./DashboardFeed.js"
import { COOKIE_NAME, type DashboardSessions, readCookie, sessionCookie } from "./DashboardSessions.js"

/**
 * The Content-Security-Policy of every dashboard answer: scripts and styles from this origin only (no
 * inline script), no frames, no other hosts.
 *
 * @since 0.1.0
 * @category security
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const SECURITY_HEADERS: http.OutgoingHttpHeaders = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin"
}

/** Bytes of output one page of the job view carries. */
const PAGE_BYTES = 64 * 1024
const MAX_BODY = 64 * 1024

/**
 * Whether a path belongs to the dashboard.
 *
 * @since 0.1.0
 * @category routing
 */
export const isDashboardPath = (path: string): boolean => path === "/" || path.startsWith("/api/") || assets.has(path)

/**
 * Whether a request comes from the dashboard's own page: no `Origin` (not a browser page), an `Origin`
 * equal to the origin the `Host` header names, or one of the configured allowed origins.
 *
 * @since 0.1.0
 * @category security
 */
export const sameOrigin = (
  headers: http.IncomingHttpHeaders,
  secure: boolean,
  allowed: ReadonlySet<string>
): boolean => {
  const origin = headers.origin
  if (origin === undefined) return true
  const own = `${secure ? "https" : "http"}://${headers.host ?? ""}`
  return normalizeOrigin(origin) === normalizeOrigin(own) || allowed.has(normalizeOrigin(origin))
}

/**
 * What the dashboard needs from the server that hosts it.
 *
 * @since 0.1.0
 * @category models
 */
export interface DashboardOptions {
  readonly verifier: TokenVerifier
  readonly sessions: DashboardSessions
  /** The jobs an owner sees and acts on (its `ownedBy` view, or all jobs for a stdio server's dashboard). */
  readonly viewFor: (owner: string) => JobManagerService
  /** Origins allowed besides the dashboard's own. */
  readonly allowedOrigins: ReadonlySet<string>
}

interface Json {
  readonly status: number
  readonly body: unknown
  readonly headers?: http.OutgoingHttpHeaders
}

const json = (status: number, body: unknown, headers?: http.OutgoingHttpHeaders): Json => ({ status, body, ...(headers ? { headers } : {}) })
const failure = (status: number, error: string) => json(status, { error })

const sendJson = (res: http.ServerResponse, reply: Json) =>
  Effect.sync(() => {
    if (res.headersSent) return void res.end()
    res.writeHead(reply.status, {
      ...SECURITY_HEADERS,
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...reply.headers
    })
    res.end(JSON.stringify(reply.body))
  })

const sendAsset = (req: http.IncomingMessage, res: http.ServerResponse, asset: Asset) =>
  Effect.sync(() => {
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": asset.contentType,
      "cache-control": "no-cache",
      "vary": "Accept-Encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {})
    })
    res.end(req.method === "HEAD" ? undefined : gzip ? asset.gzipped : asset.body)
  })

const isSecure = (req: http.IncomingMessage) =>
  ("encrypted" in req.socket && req.socket.encrypted === true) || req.headers["x-forwarded-proto"] === "https"

const readJson = (req: http.IncomingMessage) =>
  Effect.gen(function*() {
    const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    if (type !== "application/json") return Either.left(failure(415, "Content-Type must be application/json"))
    const bytes = yield* Effect.either(readBody(req, MAX_BODY))
    if (Either.isLeft(bytes)) return Either.left(failure(413, "the request body is too large"))
    const parsed = Either.try(() => JSON.parse(bytes.right.toString("utf8")) as unknown)
    if (Either.isLeft(parsed) || typeof parsed.right !== "object" || parsed.right === null) {
      return Either.left(failure(400, "the body must be a JSON object"))
    }
    return Either.right(parsed.right as Record<string, unknown>)
  })

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

/** A failure of a job operation as the page shows it: the typed error's sentence. */
const describe = (error: { readonly _tag: string; readonly message: string }): Json =>
  failure(error._tag === "JobNotFound" ? 404 : error._tag === "JobLimitReached" ? 429 : 400, error.message)

const jsonOf = <A, E extends { readonly _tag: string; readonly message: string }>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.match({ onFailure: describe, onSuccess: (value) => json(200, value) }))

const positionOf = (cursor: string): { stdout: number; stderr: number } | undefined => {
  const match = /^[0-9a-f]{8}:(\d+):(\d+)$/.exec(cursor)
  return match === null ? undefined : { stdout: Number(match[1]), stderr: Number(match[2]) }
}

/** The first `bytes` bytes of `text` (as UTF-8). */
const headBytes = (text: string, bytes: number) => {
  const buffer = Buffer.from(text, "utf8")
  return buffer.length <= bytes ? text : buffer.subarray(0, Math.max(0, bytes)).toString("utf8")
}

/**
 * Output for the job view, raw (the page renders SGR colours itself), one page at a time:
 * - `cursor`: the page after it (following live);
 * - `before`: the page that ends at it ("load earlier");
 * - `filter` (+ `context`): the matching lines of everything retained;
 * - none: the last page retained.
 * `start` is the cursor where the page begins, `cursor` where it ends.
 */
const readOutput = (view: JobManagerService, id: string, query: URLSearchParams) =>
  Effect.gen(function*() {
    const filter = query.get("filter")
    if (filter !== null && filter !== "") {
      const context = Number(query.get("context") ?? "0")
      return yield* view.output(id, { filter, context: Number.isFinite(context) ? context : 0, maxBytes: PAGE_BYTES * 4 })
    }
    const cursor = query.get("cursor")
    if (cursor !== null) {
      const page = yield* view.output(id, { cursor, raw: true, maxBytes: PAGE_BYTES })
      return { ...page, start: cursor }
    }
    const details = yield* view.status(id)
    const before = query.get("before")
    const end = before === null ? { stdout: details.stdoutBytes, stderr: details.stderrBytes } : positionOf(before)
    if (end === undefined) return yield* view.output(id, { cursor: before ?? "" })
    const half = PAGE_BYTES / 2
    const from = {
      stdout: Math.max(details.droppedStdoutBytes, end.stdout - half),
      stderr: Math.max(details.droppedStderrBytes, end.stderr - half)
    }
    const start = cursorFor(id, from)
    const page = yield* view.output(id, { cursor: start, raw: true, maxBytes: PAGE_BYTES })
    if (before === null) return { ...page, start }
    // An earlier page stops where the page already shown begins.
    return {
      ...page,
      stdout: headBytes(page.stdout, end.stdout - from.stdout),
      stderr: headBytes(page.stderr, end.stderr - from.stderr),
      cursor: before,
      remainingBytes: 0,
      start
    }
  })

/**
 * The dashboard's request handler. `path` is the URL's path; the caller checked `Host` already.
 *
 * @since 0.1.0
 * @category handlers
 */
export const makeDashboardHandler = (options: DashboardOptions) => {
  const { allowedOrigins, sessions, verifier, viewFor } = options

  /** The owner a request acts for: its bearer token's, else its session cookie's. */
  const ownerOf = (req: http.IncomingMessage): { readonly owner: string; readonly byCookie: boolean } | undefined => {
    const bearer = req.headers.authorization === undefined ? undefined : verifier.verify(req.headers.authorization)
    if (bearer !== undefined) return { owner: bearer, byCookie: false }
    const owner = sessions.owner(readCookie(req.headers.cookie, COOKIE_NAME), Date.now())
    return owner === undefined ? undefined : { owner, byCookie: true }
  }

  const signIn = Effect.fnUntraced(function*(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = yield* readJson(req)
    if (Either.isLeft(body)) return yield* sendJson(res, body.left)
    const token = text(body.right["token"]) ?? ""
    const owner = verifier.verify(`Bearer ${token}`)
    if (owner === undefined) return yield* sendJson(res, failure(401, "That token is not valid. Use the token of the server (its token file or MCP_BG_HTTP_TOKEN)."))
    const id = sessions.open(owner, Date.now())
    return yield* sendJson(res, json(200, { owner }, { "set-cookie": sessionCookie(id, isSecure(req)) }))
  })

  const api = Effect.fnUntraced(function*(req: http.IncomingMessage, res: http.ServerResponse, url: URL, view: JobManagerService) {
    const method = req.method ?? "GET"
    const parts = url.pathname.split("/").slice(3).map(decodeURIComponent)
    const [id, action] = parts
    if (url.pathname === "/api/events" && method === "GET") return yield* serveFeed(view, req, res, url.searchParams.get("job") ?? undefined)
    if (parts.length === 0 && url.pathname === "/api/jobs" && method === "GET") {
      return yield* sendJson(res, json(200, { jobs: yield* view.list }))
    }
    if (url.pathname === "/api/jobs" && method === "POST") {
      const body = yield* readJson(req)
      if (Either.isLeft(body)) return yield* sendJson(res, body.left)
      const command = text(body.right["command"])
      if (command === undefined || command.trim() === "") return yield* sendJson(res, failure(400, "Type a command to run."))
      const cwd = text(body.right["cwd"])
      return yield* sendJson(res, yield* jsonOf(view.execute({ command, cwd: cwd === "" ? undefined : cwd })))
    }
    if (id === undefined || !url.pathname.startsWith("/api/jobs/")) return yield* sendJson(res, failure(404, "no such endpoint"))
    if (method === "GET" && action === undefined) return yield* sendJson(res, yield* jsonOf(view.status(id)))
    if (method === "GET" && action === "output") return yield* sendJson(res, yield* jsonOf(readOutput(view, id, url.searchParams)))
    if (method !== "POST") return yield* sendJson(res, failure(405, "use GET or POST"))
    const body = yield* readJson(req)
    if (Either.isLeft(body)) return yield* sendJson(res, body.left)
    switch (action) {
      case "kill": {
        const signal = text(body.right["signal"])
        return yield* sendJson(res, yield* jsonOf(view.kill(id, { signal }).pipe(Effect.map((status) => ({ status })))))
      }
      case "restart":
        return yield* sendJson(res, yield* jsonOf(view.restart(id)))
      case "input": {
        const input = text(body.right["input"]) ?? ""
        const eof = body.right["eof"] === true
        return yield* sendJson(
          res,
          yield* jsonOf(view.interact(id, input, { eof, newline: input !== "", timeout: "2 seconds", idle: "100 millis", maxBytes: 1 }).pipe(
            Effect.map((result) => ({ status: result.status }))
          ))
        )
      }
      default:
        return yield* sendJson(res, failure(404, "no such action"))
    }
  })

  return Effect.fnUntraced(function*(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost")
    const method = req.method ?? "GET"
    const changing = method !== "GET" && method !== "HEAD"
    if (changing && !sameOrigin(req.headers, isSecure(req), allowedOrigins)) {
      return yield* sendJson(res, failure(403, "Forbidden: this request comes from another origin."))
    }
    const asset = assets.get(url.pathname === "/" ? "/index.html" : url.pathname)
    if (asset !== undefined) {
      return method === "GET" || method === "HEAD" ? yield* sendAsset(req, res, asset) : yield* sendJson(res, failure(405, "use GET"))
    }
    if (url.pathname === "/api/session") {
      if (method === "POST") return yield* signIn(req, res)
      if (method === "DELETE") {
        sessions.close(readCookie(req.headers.cookie, COOKIE_NAME))
        return yield* sendJson(res, json(200, {}, { "set-cookie": sessionCookie(undefined, isSecure(req)) }))
      }
      if (method === "GET") {
        const who = ownerOf(req)
        return yield* sendJson(res, who === undefined ? failure(401, "Sign in with the server's token.") : json(200, { owner: who.owner }))
      }
      return yield* sendJson(res, failure(405, "use GET, POST or DELETE"))
    }
    const who = ownerOf(req)
    if (who === undefined) return yield* sendJson(res, failure(401, "Sign in with the server's token."))
    // A cookie rides along with any request the browser makes: one that changes state must say where it is from.
    if (changing && who.byCookie && req.headers.origin === undefined) {
      return yield* sendJson(res, failure(403, "Forbidden: a request signed in by cookie must carry its Origin."))
    }
    return yield* api(req, res, url, viewFor(who.owner))
  })
}
