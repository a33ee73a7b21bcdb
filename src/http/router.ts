/**
 * The request pipeline of the HTTP server. A request passes the browser checks (`Host`, `Origin`), is
 * routed by path (`/healthz`, the MCP endpoint), authenticated by its bearer token, dispatched by method,
 * and a POST passes the body checks (content type, size, JSON, session rules) before the session's
 * transport sees it. Each decision is a plain function of the request's facts; `handler` runs them.
 *
 * @since 0.1.0
 */
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as http from "node:http"
import { errorWithoutId } from "../mcp/jsonRpc.js"
import type { TokenVerifier } from "./HttpAuth.js"
import { hostAllowed, originAllowed, type RequestPolicy } from "./requestGuards.js"
import type { Session, SessionRegistry } from "./SessionRegistry.js"

/**
 * The path of the MCP endpoint.
 *
 * @since 0.1.0
 * @category paths
 */
export const ENDPOINT = "/mcp"
const HEALTH = "/healthz"
const CORS_HEADERS = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id"

/**
 * An answer the server gives itself: a JSON body, or none (a preflight).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: http.OutgoingHttpHeaders
}

/**
 * A debug log line for a refused request.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogNote {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/**
 * An answer without a session (a refusal, the health check, a preflight), with a debug line when a
 * refusal is worth one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Answer {
  readonly _tag: "Reply"
  readonly reply: Reply
  readonly log?: LogNote | undefined
}

/**
 * What a request needs, as far as its headers tell: an `Answer`; a `Post` from `owner`, whose body decides
 * the rest (see `postTarget`); or, for a GET (stream) or DELETE, the `Session` `sessionId` of `owner`.
 *
 * @since 0.1.0
 * @category models
 */
export type Route =
  | Answer
  | { readonly _tag: "Post"; readonly owner: string }
  | { readonly _tag: "Session"; readonly owner: string; readonly sessionId: string }

/**
 * Where a POST body goes.
 *
 * - `Reply`: refused (not JSON, or no session id on a message that is not `initialize`).
 * - `Session`: to the open session `sessionId`.
 * - `Initialize`: to a new session.
 *
 * @since 0.1.0
 * @category models
 */
export type PostTarget =
  | { readonly _tag: "Reply"; readonly reply: Reply }
  | { readonly _tag: "Session"; readonly sessionId: string; readonly body: unknown }
  | { readonly _tag: "Initialize"; readonly body: unknown }

/**
 * What the router knows of a request before reading its body.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestFacts {
  readonly method: string | undefined
  /** The URL's path, without the query. */
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  /** The client's address, for logs. */
  readonly remoteAddress: string | undefined
}

const refusal = (status: number, code: number, message: string, headers?: http.OutgoingHttpHeaders): Reply => ({
  status,
  body: errorWithoutId(code, message),
  ...(headers === undefined ? {} : { headers })
})

const answer = (reply: Reply, log?: LogNote): Answer => ({ _tag: "Reply", reply, log })

/**
 * The fixed answers of the pipeline.
 *
 * @since 0.1.0
 * @category replies
 */
export const replies = {
  sessionNotFound: refusal(404, -32001, "Session not found: it was closed or expired. Start a new session (initialize)."),
  internalError: refusal(500, -32603, "Internal error"),
  payloadTooLarge: (maxBodySize: number): Reply =>
    refusal(
      413,
      -32000,
      `Payload Too Large: the request body must not exceed ${maxBodySize} bytes (MCP_BG_HTTP_MAX_BODY)`,
      { connection: "close" }
    ),
  tooManySessions: (limit: number): Reply =>
    refusal(503, -32000, `Too many sessions (${limit}): end unused ones with DELETE, or wait until idle ones expire.`)
}

/**
 * The browser checks: a refusal when `Host` does not name this server or `Origin` is not allowed; else the
 * CORS headers every answer to this request carries (none without an `Origin`).
 *
 * @since 0.1.0
 * @category decisions
 */
export const checkBrowser = (
  policy: RequestPolicy,
  headers: http.IncomingHttpHeaders
): Either.Either<http.OutgoingHttpHeaders, Answer> => {
  const host = headers.host
  if (!hostAllowed(policy, host)) {
    return Either.left(answer(
      refusal(403, -32000, `Forbidden: Host ${JSON.stringify(host ?? "")} does not name this server (MCP_BG_HTTP_ALLOWED_HOSTS).`),
      { message: "request refused: Host not allowed", annotations: { host: host ?? "" } }
    ))
  }
  const origin = headers.origin
  if (!originAllowed(policy, origin)) {
    return Either.left(answer(
      refusal(403, -32000, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (MCP_BG_HTTP_ALLOWED_ORIGINS).`),
      { message: "request refused: Origin not allowed", annotations: { origin: origin ?? "" } }
    ))
  }
  return Either.right(
    origin === undefined ? {} : {
      "access-control-allow-origin": origin,
      "access-control-allow-headers": CORS_HEADERS,
      "access-control-allow-methods": "GET, POST, DELETE",
      "access-control-expose-headers": "Mcp-Session-Id, WWW-Authenticate",
      "vary": "Origin"
    }
  )
}

/**
 * Routes a request that passed the browser checks: the health check needs no token; on the MCP endpoint a
 * preflight needs none either, everything else a bearer token `authenticate` knows (the owner it names).
 *
 * @since 0.1.0
 * @category decisions
 */
export const route = (facts: RequestFacts, authenticate: TokenVerifier["verify"]): Route => {
  const { headers, method, path } = facts
  if (path === HEALTH) {
    return method === "GET" || method === "HEAD" ?
      answer({ status: 200, body: { status: "ok" } }) :
      answer({ status: 405, body: { error: "use GET" }, headers: { allow: "GET, HEAD" } })
  }
  if (path !== ENDPOINT) return answer({ status: 404, body: { error: `Not found: the MCP endpoint is ${ENDPOINT}` } })
  if (method === "OPTIONS") return answer({ status: 204, headers: { allow: "GET, POST, DELETE, OPTIONS" } })
  const owner = authenticate(headers.authorization)
  if (owner === undefined) {
    const presented = headers.authorization !== undefined
    return answer(
      refusal(
        401,
        -32001,
        presented ?
          "Unauthorized: the bearer token is not valid." :
          "Unauthorized: send Authorization: Bearer <token> (MCP_BG_HTTP_TOKEN, or the token file the server printed).",
        {
          "www-authenticate": presented ?
            "Bearer realm=\"mcp-background-job\", error=\"invalid_token\"" :
            "Bearer realm=\"mcp-background-job\""
        }
      ),
      { message: "request refused: no valid token", annotations: { from: facts.remoteAddress ?? "?", presented } }
    )
  }
  if (method === "POST") return { _tag: "Post", owner }
  if (method === "GET" || method === "DELETE") {
    const sessionId = headers["mcp-session-id"]
    if (typeof sessionId !== "string") return answer(refusal(400, -32000, "Bad Request: Mcp-Session-Id header is required"))
    return { _tag: "Session", owner, sessionId }
  }
  return answer(refusal(405, -32000, "Method not allowed: use POST, GET or DELETE", { allow: "GET, POST, DELETE" }))
}

const isJson = (contentType: string | undefined) =>
  contentType !== undefined && contentType.split(";")[0]!.trim().toLowerCase() === "application/json"

/**
 * The checks of a POST that need no body: a refusal for a content type other than JSON; else whether to
 * tell a client that waits (`Expect: 100-continue`) to send the body — not when its declared length is
 * over the limit.
 *
 * @since 0.1.0
 * @category decisions
 */
export const checkPostHeaders = (
  headers: http.IncomingHttpHeaders,
  maxBodySize: number
): Either.Either<{ readonly sendContinue: boolean }, Reply> =>
  isJson(headers["content-type"]) ?
    Either.right({
      sendContinue: headers.expect?.toLowerCase() === "100-continue" && !(Number(headers["content-length"]) > maxBodySize)
    }) :
    Either.left(refusal(415, -32000, "Unsupported Media Type: Content-Type must be application/json"))

const containsInitialize = (body: unknown) => (Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body))

/**
 * Where a POST body goes: JSON or a 400; with a session id to that session; without one, only an
 * `initialize` (alone or in a batch), to a new session.
 *
 * @since 0.1.0
 * @category decisions
 */
export const postTarget = (headers: http.IncomingHttpHeaders, bytes: Buffer): PostTarget => {
  const body = Either.try(() => JSON.parse(bytes.toString("utf8")) as unknown)
  if (Either.isLeft(body)) return { _tag: "Reply", reply: refusal(400, -32700, "Parse error: the body is not valid JSON") }
  const sessionId = headers["mcp-session-id"]
  if (typeof sessionId === "string") return { _tag: "Session", sessionId, body: body.right }
  if (!containsInitialize(body.right)) {
    return { _tag: "Reply", reply: refusal(400, -32000, "Bad Request: Mcp-Session-Id header is required (start with initialize)") }
  }
  return { _tag: "Initialize", body: body.right }
}

/**
 * Why reading a body stopped.
 *
 * @since 0.1.0
 * @category models
 */
export type BodyFailure = "too_large" | "aborted"

/**
 * Reads a request body up to `limit` bytes; a declared length over the limit fails before reading.
 *
 * @since 0.1.0
 * @category bodies
 */
export const readBody = (req: http.IncomingMessage, limit: number): Effect.Effect<Buffer, BodyFailure> =>
  Effect.async<Buffer, BodyFailure>((resume) => {
    if (Number(req.headers["content-length"]) > limit) {
      resume(Effect.fail("too_large"))
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      req.off("data", onData).off("end", onEnd).off("error", onAborted).off("close", onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        resume(Effect.fail("too_large"))
      } else {
        chunks.push(chunk)
      }
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks)))
    }
    const onAborted = () => {
      cleanup()
      resume(Effect.fail("aborted"))
    }
    const onClose = () => {
      if (!req.readableEnded) onAborted()
    }
    req.on("data", onData).on("end", onEnd).on("error", onAborted).on("close", onClose)
    return Effect.sync(cleanup)
  })

/**
 * Sends `reply`; only ends the response when its headers were sent already.
 *
 * @since 0.1.0
 * @category replies
 */
export const send = (res: http.ServerResponse, reply: Reply): Effect.Effect<void> =>
  Effect.sync(() => {
    if (res.headersSent) {
      res.end()
      return
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, reply.headers)
      res.end()
      return
    }
    res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
    res.end(JSON.stringify(reply.body))
  })

/**
 * Options of the pipeline.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly policy: RequestPolicy
  readonly verifier: TokenVerifier
  readonly maxBodySize: number
  readonly sessions: SessionRegistry
  /** The dashboard: serves its paths (see `isDashboardPath`) once `Host` is checked; its own `Origin` rules apply. */
  readonly dashboard?: {
    readonly serves: (path: string) => boolean
    readonly handle: (req: http.IncomingMessage, res: http.ServerResponse) => Effect.Effect<void>
  } | undefined
}

/**
 * The request handler: runs the decisions above and hands what passes them to the session's transport.
 * It never fails: an unexpected failure is logged and answered with 500.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handler = (options: Options): (req: http.IncomingMessage, res: http.ServerResponse) => Effect.Effect<void> => {
  const { maxBodySize, policy, sessions, verifier } = options

  const forward = (session: Session, req: http.IncomingMessage, res: http.ServerResponse, body?: unknown) => {
    session.track(res)
    return Effect.tryPromise(() => session.transport.handleRequest(req, res, body)).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning("request failed in the MCP transport", error).pipe(Effect.zipRight(send(res, replies.internalError)))
      )
    )
  }

  const forwardToSession = (req: http.IncomingMessage, res: http.ServerResponse, sessionId: string, owner: string, body?: unknown) => {
    const session = sessions.find(sessionId, owner)
    return session === undefined ? send(res, replies.sessionNotFound) : forward(session, req, res, body)
  }

  const handlePost = Effect.fnUntraced(function*(req: http.IncomingMessage, res: http.ServerResponse, owner: string) {
    const checked = checkPostHeaders(req.headers, maxBodySize)
    if (Either.isLeft(checked)) return yield* send(res, checked.left)
    // Only now, past the checks that need no body, is a client that waits for it told to send it.
    if (checked.right.sendContinue) res.writeContinue()
    const bytes = yield* Effect.either(readBody(req, maxBodySize))
    if (Either.isLeft(bytes)) {
      if (bytes.left === "aborted") return
      // The rest of the body is read and dropped, so the client gets to see the answer.
      req.resume()
      return yield* send(res, replies.payloadTooLarge(maxBodySize))
    }
    const target = postTarget(req.headers, bytes.right)
    switch (target._tag) {
      case "Reply":
        return yield* send(res, target.reply)
      case "Session":
        return yield* forwardToSession(req, res, target.sessionId, owner, target.body)
      case "Initialize":
        return yield* sessions.open(owner, (session) => forward(session, req, res, target.body)).pipe(
          Effect.catchTag("SessionLimitReached", (error) => send(res, replies.tooManySessions(error.limit)))
        )
    }
  })

  const reply = (res: http.ServerResponse, decided: Answer) =>
    decided.log === undefined ?
      send(res, decided.reply) :
      Effect.logDebug(decided.log.message).pipe(Effect.annotateLogs(decided.log.annotations), Effect.zipRight(send(res, decided.reply)))

  const handle = Effect.fnUntraced(function*(req: http.IncomingMessage, res: http.ServerResponse) {
    const dashboard = options.dashboard
    if (dashboard !== undefined && dashboard.serves(new URL(req.url ?? "/", "http://localhost").pathname)) {
      // The page calls its own origin, which is not an allowed origin of /mcp: only Host is checked here.
      const host = checkBrowser(policy, { host: req.headers.host })
      return yield* Either.isLeft(host) ? reply(res, host.left) : dashboard.handle(req, res)
    }
    const browser = checkBrowser(policy, req.headers)
    if (Either.isLeft(browser)) return yield* reply(res, browser.left)
    for (const [name, value] of Object.entries(browser.right)) if (value !== undefined) res.setHeader(name, value)
    const facts: RequestFacts = {
      method: req.method,
      path: new URL(req.url ?? "/", "http://localhost").pathname,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress
    }
    const routed = route(facts, verifier.verify)
    switch (routed._tag) {
      case "Reply":
        return yield* reply(res, routed)
      case "Post":
        return yield* handlePost(req, res, routed.owner)
      case "Session":
        return yield* forwardToSession(req, res, routed.sessionId, routed.owner)
    }
  })

  return (req, res) =>
    handle(req, res).pipe(
      Effect.catchAllCause((cause) => Effect.logError("HTTP request failed", cause).pipe(Effect.zipRight(send(res, replies.internalError))))
    )
}
