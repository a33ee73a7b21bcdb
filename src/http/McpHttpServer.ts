/**
 * Serving the job tools over MCP Streamable HTTP: one SDK `Server` and transport per session, all sessions
 * on the same `JobManager`, each seeing only the jobs of the token that opened it. Requests pass the
 * browser checks (`Host`, `Origin`), then bearer authentication, then the body limits, before the SDK sees
 * them. Closing a session never stops a job; closing the server's scope closes every session.
 *
 * @since 0.1.0
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { JobManager } from "../JobManager.js"
import { errorWithoutId } from "../mcp/jsonRpc.js"
import * as McpJobServer from "../mcp/McpJobServer.js"
import { instructions, type ServerInfo } from "../mcp/stdio.js"
import { defaultTokenFile, generateToken, makeVerifier, type TokenFileError, writeTokenFile } from "./HttpAuth.js"
import { describeConfigError } from "../internal/settings.js"
import { checkExposure, HttpConfig } from "./HttpConfig.js"
import { hostAllowed, originAllowed, requestPolicy } from "./requestGuards.js"

/**
 * The server could not start: refused configuration, or the address could not be bound.
 *
 * @since 0.1.0
 * @category errors
 */
export class HttpServerError extends Schema.TaggedError<HttpServerError>()("HttpServerError", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/**
 * A listening server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningHttpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:7345/mcp`. */
  readonly url: string
  readonly host: string
  /** The bound port (the one picked, when the configuration asked for 0). */
  readonly port: number
  /** Where the generated token was written; `None` when tokens were configured. */
  readonly tokenFile: Option.Option<string>
  /** Sessions open now. */
  readonly sessionCount: () => number
}

/** More sessions than this at once get 503: each holds a server, a transport and two fibers. */
const MAX_SESSIONS = 256
/** The idle sweep runs this often relative to the idle limit, within bounds. */
const SWEEP_MIN = Duration.millis(100)
const SWEEP_MAX = Duration.seconds(30)

const ENDPOINT = "/mcp"
const HEALTH = "/healthz"
const CORS_HEADERS = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-Id"

/** One client's MCP session. */
class Session {
  id: string | undefined
  /** Requests and streams in progress; a session is idle only when there are none. */
  active = 0
  closed = false

  constructor(
    readonly owner: string,
    readonly transport: StreamableHTTPServerTransport,
    readonly scope: Scope.CloseableScope,
    public lastActivity: number
  ) {}
}

/** Why reading a body stopped. */
type BodyFailure = "too_large" | "aborted"

const reply = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) =>
  Effect.sync(() => {
    if (res.headersSent) {
      res.end()
      return
    }
    res.writeHead(status, { "content-type": "application/json", ...headers })
    res.end(JSON.stringify(body))
  })

const isJson = (contentType: string | undefined) =>
  contentType !== undefined && contentType.split(";")[0]!.trim().toLowerCase() === "application/json"

const containsInitialize = (body: unknown) => (Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body))

/** Reads a request body up to `limit` bytes; a declared length over the limit fails before reading. */
const readBody = (req: http.IncomingMessage, limit: number): Effect.Effect<Buffer, BodyFailure> =>
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

const displayHost = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host)

/**
 * Starts the HTTP server for the scope's lifetime and returns once it listens. With no configured token it
 * generates one and writes it to the token file (removed again when the scope closes).
 *
 * @since 0.1.0
 * @category transports
 */
export const listen = (
  info: ServerInfo,
  config: HttpConfig
): Effect.Effect<RunningHttpServer, HttpServerError | TokenFileError, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    yield* Either.mapLeft(HttpConfig.validate(config), (error) => new HttpServerError({ reason: describeConfigError(error) }))
    yield* Either.mapLeft(checkExposure(config), (reason) => new HttpServerError({ reason }))
    // Loaded on use: the SDK's HTTP transport touches Node's fetch globals, which read the environment.
    const { StreamableHTTPServerTransport } = yield* Effect.promise(() => import("@modelcontextprotocol/sdk/server/streamableHttp.js"))
    const jobs = yield* JobManager
    const policy = requestPolicy(config)
    const generated = config.tokens.length === 0 ? generateToken() : undefined
    const verifier = makeVerifier(generated === undefined ? config.tokens : [{ name: "default", token: generated }])
    const idleMillis = Duration.toMillis(config.sessionIdle)
    const sessions = new Map<string, Session>()
    const run = yield* FiberSet.makeRuntime<JobManager>()

    const httpServer = http.createServer()
    // Finalizers run in reverse: stop accepting, then close the sessions (ending their streams), then cut
    // whatever connection is left, then interrupt the request handlers.
    yield* Effect.addFinalizer(() => Effect.sync(() => httpServer.closeAllConnections()))
    const sessionsScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.parallel)

    const closeSession = (session: Session, reason: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (session.closed) return Effect.void
        session.closed = true
        if (session.id !== undefined) sessions.delete(session.id)
        return Scope.close(session.scope, Exit.void).pipe(
          Effect.zipRight(
            session.id === undefined ?
              Effect.void :
              Effect.logDebug("session closed").pipe(Effect.annotateLogs({ session: session.id, owner: session.owner, reason }))
          )
        )
      })

    const openSession = (owner: string) =>
      Effect.gen(function*() {
        const scope = yield* Scope.fork(sessionsScope, ExecutionStrategy.sequential)
        const server = new Server({ name: info.name, version: info.version }, { capabilities: {}, instructions })
        yield* McpJobServer.register(server).pipe(Effect.provideService(JobManager, jobs.ownedBy(owner)), Scope.extend(scope))
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            session.id = id
            sessions.set(id, session)
          }
        })
        const session = new Session(owner, transport, scope, Date.now())
        // A DELETE from the client, or the transport failing, closes the session's scope too.
        server.onclose = () => {
          run(closeSession(session, "closed by the client"))
        }
        yield* Effect.promise(() => server.connect(transport))
        yield* Scope.addFinalizer(scope, Effect.tryPromise(() => server.close()).pipe(Effect.ignore))
        return session
      })

    /** Counts a request (or stream) as activity until its response closes. */
    const track = (session: Session, res: http.ServerResponse) => {
      session.active++
      session.lastActivity = Date.now()
      res.once("close", () => {
        session.active--
        session.lastActivity = Date.now()
      })
    }

    const forward = (session: Session, req: http.IncomingMessage, res: http.ServerResponse, body?: unknown) =>
      Effect.tryPromise(() => session.transport.handleRequest(req, res, body)).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("request failed in the MCP transport", error).pipe(
            Effect.zipRight(reply(res, 500, errorWithoutId(-32603, "Internal error")))
          )
        )
      )

    const findSession = (id: string, owner: string) => {
      const session = sessions.get(id)
      // Another token's session is as unknown as one that never existed.
      return session !== undefined && session.owner === owner && !session.closed ? session : undefined
    }

    const sessionNotFound = (res: http.ServerResponse) =>
      reply(res, 404, errorWithoutId(-32001, "Session not found: it was closed or expired. Start a new session (initialize)."))

    const handlePost = (req: http.IncomingMessage, res: http.ServerResponse, owner: string) =>
      Effect.gen(function*() {
        if (!isJson(req.headers["content-type"])) {
          return yield* reply(res, 415, errorWithoutId(-32000, "Unsupported Media Type: Content-Type must be application/json"))
        }
        // Only now, past the checks that need no body, is a client that waits for it told to send it.
        if (req.headers.expect?.toLowerCase() === "100-continue" && !(Number(req.headers["content-length"]) > config.maxBodySize)) {
          res.writeContinue()
        }
        const bytes = yield* Effect.either(readBody(req, config.maxBodySize))
        if (Either.isLeft(bytes)) {
          if (bytes.left === "aborted") return
          // The rest of the body is read and dropped, so the client gets to see the answer.
          req.resume()
          return yield* reply(
            res,
            413,
            errorWithoutId(-32000, `Payload Too Large: the request body must not exceed ${config.maxBodySize} bytes (MCP_BG_HTTP_MAX_BODY)`),
            { connection: "close" }
          )
        }
        const body = Either.try(() => JSON.parse(bytes.right.toString("utf8")) as unknown)
        if (Either.isLeft(body)) return yield* reply(res, 400, errorWithoutId(-32700, "Parse error: the body is not valid JSON"))
        const sessionId = req.headers["mcp-session-id"]
        if (typeof sessionId === "string") {
          const session = findSession(sessionId, owner)
          if (session === undefined) return yield* sessionNotFound(res)
          track(session, res)
          return yield* forward(session, req, res, body.right)
        }
        if (!containsInitialize(body.right)) {
          return yield* reply(res, 400, errorWithoutId(-32000, "Bad Request: Mcp-Session-Id header is required (start with initialize)"))
        }
        if (sessions.size >= MAX_SESSIONS) {
          return yield* reply(res, 503, errorWithoutId(-32000, `Too many sessions (${MAX_SESSIONS}): end unused ones with DELETE, or wait until idle ones expire.`))
        }
        const session = yield* openSession(owner)
        track(session, res)
        yield* forward(session, req, res, body.right)
        if (session.id === undefined) {
          yield* closeSession(session, "initialize was refused")
        } else {
          yield* Effect.logDebug("session opened").pipe(Effect.annotateLogs({ session: session.id, owner }))
        }
      })

    const handleMcp = (req: http.IncomingMessage, res: http.ServerResponse) =>
      Effect.gen(function*() {
        if (req.method === "OPTIONS") {
          res.writeHead(204, { allow: "GET, POST, DELETE, OPTIONS" })
          return res.end()
        }
        const owner = verifier.verify(req.headers.authorization)
        if (owner === undefined) {
          const presented = req.headers.authorization !== undefined
          yield* Effect.logDebug("request refused: no valid token").pipe(Effect.annotateLogs({ from: req.socket.remoteAddress ?? "?", presented }))
          return yield* reply(
            res,
            401,
            errorWithoutId(
              -32001,
              presented ?
                "Unauthorized: the bearer token is not valid." :
                "Unauthorized: send Authorization: Bearer <token> (MCP_BG_HTTP_TOKEN, or the token file the server printed)."
            ),
            {
              "www-authenticate": presented ?
                "Bearer realm=\"mcp-background-job\", error=\"invalid_token\"" :
                "Bearer realm=\"mcp-background-job\""
            }
          )
        }
        if (req.method === "POST") return yield* handlePost(req, res, owner)
        if (req.method === "GET" || req.method === "DELETE") {
          const sessionId = req.headers["mcp-session-id"]
          if (typeof sessionId !== "string") {
            return yield* reply(res, 400, errorWithoutId(-32000, "Bad Request: Mcp-Session-Id header is required"))
          }
          const session = findSession(sessionId, owner)
          if (session === undefined) return yield* sessionNotFound(res)
          track(session, res)
          return yield* forward(session, req, res)
        }
        return yield* reply(res, 405, errorWithoutId(-32000, "Method not allowed: use POST, GET or DELETE"), { allow: "GET, POST, DELETE" })
      })

    const handle = (req: http.IncomingMessage, res: http.ServerResponse) =>
      Effect.gen(function*() {
        if (!hostAllowed(policy, req.headers.host)) {
          yield* Effect.logDebug("request refused: Host not allowed").pipe(Effect.annotateLogs({ host: req.headers.host ?? "" }))
          return yield* reply(
            res,
            403,
            errorWithoutId(-32000, `Forbidden: Host ${JSON.stringify(req.headers.host ?? "")} does not name this server (MCP_BG_HTTP_ALLOWED_HOSTS).`)
          )
        }
        const origin = req.headers.origin
        if (!originAllowed(policy, origin)) {
          yield* Effect.logDebug("request refused: Origin not allowed").pipe(Effect.annotateLogs({ origin: origin ?? "" }))
          return yield* reply(
            res,
            403,
            errorWithoutId(-32000, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (MCP_BG_HTTP_ALLOWED_ORIGINS).`)
          )
        }
        if (origin !== undefined) {
          res.setHeader("access-control-allow-origin", origin)
          res.setHeader("access-control-allow-headers", CORS_HEADERS)
          res.setHeader("access-control-allow-methods", "GET, POST, DELETE")
          res.setHeader("access-control-expose-headers", "Mcp-Session-Id, WWW-Authenticate")
          res.setHeader("vary", "Origin")
        }
        const path = new URL(req.url ?? "/", "http://localhost").pathname
        if (path === HEALTH) {
          return yield* req.method === "GET" || req.method === "HEAD" ?
            reply(res, 200, { status: "ok" }) :
            reply(res, 405, { error: "use GET" }, { allow: "GET, HEAD" })
        }
        if (path !== ENDPOINT) return yield* reply(res, 404, { error: `Not found: the MCP endpoint is ${ENDPOINT}` })
        return yield* handleMcp(req, res)
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logError("HTTP request failed", cause).pipe(
            Effect.zipRight(reply(res, 500, errorWithoutId(-32603, "Internal error")))
          )
        )
      )

    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      run(handle(req, res))
    }
    httpServer.on("request", onRequest)
    // With this listener Node no longer answers `Expect: 100-continue` by itself: see handlePost.
    httpServer.on("checkContinue", onRequest)

    const address = yield* Effect.acquireRelease(
      Effect.async<AddressInfo, HttpServerError>((resume) => {
        const onError = (error: NodeJS.ErrnoException) => {
          resume(Effect.fail(
            new HttpServerError({
              reason: error.code === "EADDRINUSE" ?
                `cannot listen on ${config.host}:${config.port}: the port is in use. Stop the other server or pass another --port.` :
                `cannot listen on ${config.host}:${config.port}: ${error.message}`
            })
          ))
        }
        httpServer.once("error", onError)
        httpServer.listen(config.port, config.host, () => {
          httpServer.off("error", onError)
          resume(Effect.succeed(httpServer.address() as AddressInfo))
        })
      }),
      () => Effect.sync(() => httpServer.close())
    )

    const tokenFile = generated === undefined ?
      Option.none<string>() :
      Option.some(Option.getOrElse(config.tokenFile, () => defaultTokenFile(address.port)))
    if (generated !== undefined && Option.isSome(tokenFile)) yield* writeTokenFile(tokenFile.value, generated)

    const sweepIdle = Effect.suspend(() => {
      const now = Date.now()
      const idle = Array.from(sessions.values()).filter((s) => s.active === 0 && now - s.lastActivity >= idleMillis)
      return Effect.forEach(idle, (session) => closeSession(session, "idle"), { discard: true })
    })
    const sweepEvery = Duration.clamp(Duration.millis(idleMillis / 4), { minimum: SWEEP_MIN, maximum: SWEEP_MAX })
    yield* sweepIdle.pipe(Effect.repeat(Schedule.spaced(sweepEvery)), Effect.forkScoped)

    const url = `http://${displayHost(config.host)}:${address.port}${ENDPOINT}`
    yield* Effect.logInfo("serving MCP over HTTP").pipe(Effect.annotateLogs({ url }))
    return { url, host: config.host, port: address.port, tokenFile, sessionCount: () => sessions.size }
  })

/**
 * Serves the job tools over HTTP until interrupted (SIGINT, SIGTERM), announcing on stderr where it
 * listens and where a generated token is.
 *
 * @since 0.1.0
 * @category transports
 */
export const serveHttp = (
  info: ServerInfo,
  config: HttpConfig
): Effect.Effect<never, HttpServerError | TokenFileError, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    const running = yield* listen(info, config)
    yield* Console.error(`mcp-background-job: listening on ${running.url}`)
    if (Option.isSome(running.tokenFile)) {
      yield* Console.error(`mcp-background-job: generated an access token in ${running.tokenFile.value} (readable by you only)`)
    } else {
      yield* Console.error(`mcp-background-job: accepting the tokens of MCP_BG_HTTP_TOKEN (${config.tokens.map((t) => t.name).join(", ")})`)
    }
    return yield* Effect.never
  })
