/**
 * Serving the job tools over MCP Streamable HTTP: one SDK `Server` and transport per session, all sessions
 * on the same `JobManager`, each seeing only the jobs of the token that opened it. Requests pass the
 * browser checks (`Host`, `Origin`), then bearer authentication, then the body limits, before the SDK sees
 * them. Closing a session never stops a job; closing the server's scope closes every session.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { JobManager } from "../JobManager.js"
import type { ServerInfo } from "../mcp/stdio.js"
import { defaultTokenFile, generateToken, makeVerifier, type TokenFileError, writeTokenFile } from "./HttpAuth.js"
import { describeConfigError } from "../internal/settings.js"
import { checkExposure, HttpConfig } from "./HttpConfig.js"
import { requestPolicy } from "./requestGuards.js"
import { isDashboardPath, makeDashboardHandler } from "./dashboard/DashboardApi.js"
import { makeSessions } from "./dashboard/DashboardSessions.js"
import { ENDPOINT, handler } from "./router.js"
import * as SessionRegistry from "./SessionRegistry.js"

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

const displayHost = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host)

/** Binds `config`'s address for the scope's lifetime; closing stops accepting connections. */
const bind = (httpServer: http.Server, config: HttpConfig): Effect.Effect<AddressInfo, HttpServerError, Scope.Scope> =>
  Effect.acquireRelease(
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
    const generated = config.tokens.length === 0 ? generateToken() : undefined
    const verifier = makeVerifier(generated === undefined ? config.tokens : [{ name: "default", token: generated }])

    // Finalizers run in reverse: stop accepting, then close the sessions (ending their streams), then cut
    // whatever connection is left, then interrupt the request handlers.
    const run = yield* FiberSet.makeRuntime()
    const httpServer = http.createServer()
    yield* Effect.addFinalizer(() => Effect.sync(() => httpServer.closeAllConnections()))
    const sessions = yield* SessionRegistry.make({ info, idle: config.sessionIdle })
    const manager = yield* JobManager
    const policy = requestPolicy(config)
    const dashboard = {
      serves: isDashboardPath,
      handle: makeDashboardHandler({
        verifier,
        sessions: makeSessions(),
        viewFor: (owner: string) => manager.ownedBy(owner),
        allowedOrigins: policy.origins
      })
    }
    const handle = handler({ policy, verifier, maxBodySize: config.maxBodySize, sessions, dashboard })
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      run(handle(req, res))
    }
    httpServer.on("request", onRequest)
    // With this listener Node no longer answers `Expect: 100-continue` by itself: the router does.
    httpServer.on("checkContinue", onRequest)
    const address = yield* bind(httpServer, config)

    const tokenFile = generated === undefined ?
      Option.none<string>() :
      Option.some(Option.getOrElse(config.tokenFile, () => defaultTokenFile(address.port)))
    if (generated !== undefined && Option.isSome(tokenFile)) yield* writeTokenFile(tokenFile.value, generated)

    yield* sessions.sweepIdle.pipe(Effect.repeat(Schedule.spaced(SessionRegistry.sweepInterval(config.sessionIdle))), Effect.forkScoped)

    const url = `http://${displayHost(config.host)}:${address.port}${ENDPOINT}`
    yield* Effect.logInfo("serving MCP over HTTP").pipe(Effect.annotateLogs({ url }))
    return { url, host: config.host, port: address.port, tokenFile, sessionCount: sessions.size }
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
