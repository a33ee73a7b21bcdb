/**
 * The MCP sessions of an HTTP server: each one an SDK `Server` with the job tools registered on its owner's
 * view of the jobs, and a Streamable HTTP transport, in a scope of its own under the registry's. A session
 * is found only by its owner; it ends when the client deletes it, when it has been idle too long, or when
 * the registry's scope closes. Closing a session never stops a job.
 *
 * @since 0.1.0
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import type * as http from "node:http"
import { JobManager } from "../JobManager.js"
import * as McpJobServer from "../mcp/McpJobServer.js"
import { instructions, type ServerInfo } from "../mcp/stdio.js"

/** More sessions than this at once are refused: each holds a server, a transport and two fibers. */
const MAX_SESSIONS = 256
/** The idle sweep runs this often relative to the idle limit, within bounds. */
const SWEEP_MIN = Duration.millis(100)
const SWEEP_MAX = Duration.seconds(30)

/**
 * One client's MCP session.
 *
 * @since 0.1.0
 * @category models
 */
export class Session {
  /** Set by the transport once it accepted `initialize`. */
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

  /** Counts a request (or stream) as activity until its response closes. */
  track(res: http.ServerResponse): void {
    this.active++
    this.lastActivity = Date.now()
    res.once("close", () => {
      this.active--
      this.lastActivity = Date.now()
    })
  }
}

/**
 * As many sessions are open as the registry allows.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionLimitReached extends Data.TaggedError("SessionLimitReached")<{ readonly limit: number }> {}

/**
 * The sessions of one server.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRegistry {
  /** Sessions open now (initialized, not closed). */
  readonly size: () => number
  /** The open session `id` of `owner`; another owner's session is as unknown as one that never existed. */
  readonly find: (id: string, owner: string) => Session | undefined
  /**
   * Opens a session for `owner` and runs `initialize` on it (forwarding the request that asked for it). A
   * session the transport gave no id to (it refused the `initialize`) is closed again at once.
   */
  readonly open: <E, R>(
    owner: string,
    initialize: (session: Session) => Effect.Effect<void, E, R>
  ) => Effect.Effect<void, SessionLimitReached | E, R>
  readonly close: (session: Session, reason: string) => Effect.Effect<void>
  /** Closes the sessions idle for the idle limit. */
  readonly sweepIdle: Effect.Effect<void>
}

/**
 * Options of a registry.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly info: ServerInfo
  /** A session with no request in progress for this long is closed. */
  readonly idle: Duration.Duration
  /** Default 256. */
  readonly maxSessions?: number | undefined
}

/**
 * The sessions among `sessions` idle at `now`: nothing in progress, and no activity for `idleMillis`.
 *
 * @since 0.1.0
 * @category rules
 */
export const idleSessions = <S extends Pick<Session, "active" | "lastActivity">>(
  sessions: Iterable<S>,
  now: number,
  idleMillis: number
): Array<S> =>
  Array.from(sessions).filter((session) => session.active === 0 && now - session.lastActivity >= idleMillis)

/**
 * How often to look for idle sessions: a quarter of the idle limit, between 100 ms and 30 s.
 *
 * @since 0.1.0
 * @category rules
 */
export const sweepInterval = (idle: Duration.Duration): Duration.Duration =>
  Duration.clamp(Duration.millis(Duration.toMillis(idle) / 4), { minimum: SWEEP_MIN, maximum: SWEEP_MAX })

/**
 * A registry for the scope's lifetime; closing the scope closes every session, in parallel.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<SessionRegistry, never, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    // Loaded on use: the SDK's HTTP transport touches Node's fetch globals, which read the environment.
    const { StreamableHTTPServerTransport } = yield* Effect.promise(() => import("@modelcontextprotocol/sdk/server/streamableHttp.js"))
    const jobs = yield* JobManager
    const maxSessions = options.maxSessions ?? MAX_SESSIONS
    const idleMillis = Duration.toMillis(options.idle)
    const sessions = new Map<string, Session>()
    // Runs the closes the SDK asks for from its callbacks; interrupted after the sessions are closed.
    const run = yield* FiberSet.makeRuntime()
    const sessionsScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.parallel)

    const close = (session: Session, reason: string): Effect.Effect<void> =>
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

    const create = Effect.fnUntraced(function*(owner: string) {
      const scope = yield* Scope.fork(sessionsScope, ExecutionStrategy.sequential)
      const server = new Server({ name: options.info.name, version: options.info.version }, { capabilities: { logging: {} }, instructions })
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
        run(close(session, "closed by the client"))
      }
      yield* Effect.promise(() => server.connect(transport))
      yield* Scope.addFinalizer(scope, Effect.tryPromise(() => server.close()).pipe(Effect.ignore))
      return session
    })

    const open = <E, R>(owner: string, initialize: (session: Session) => Effect.Effect<void, E, R>) =>
      Effect.gen(function*() {
        if (sessions.size >= maxSessions) return yield* new SessionLimitReached({ limit: maxSessions })
        const session = yield* create(owner)
        yield* initialize(session)
        if (session.id === undefined) {
          yield* close(session, "initialize was refused")
        } else {
          yield* Effect.logDebug("session opened").pipe(Effect.annotateLogs({ session: session.id, owner }))
        }
      })

    const find = (id: string, owner: string) => {
      const session = sessions.get(id)
      return session !== undefined && session.owner === owner && !session.closed ? session : undefined
    }

    const sweepIdle = Effect.suspend(() =>
      Effect.forEach(idleSessions(sessions.values(), Date.now(), idleMillis), (session) => close(session, "idle"), { discard: true })
    )

    return { size: () => sessions.size, find, open, close, sweepIdle }
  })
