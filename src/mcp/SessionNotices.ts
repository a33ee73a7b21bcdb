/**
 * What one MCP session is told about its jobs ending: each job of the session's `JobManager` (in HTTP mode,
 * the owner's view) that ends while the session is open becomes a notice, sent at once as a logging
 * notification and kept until the next tool result takes it, so that each is in exactly one result.
 *
 * @since 0.1.0
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { type LoggingLevel, LoggingLevelSchema, SetLevelRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type JobNotice, noticeOf, restartNoticeOf } from "../domain/JobNotice.js"
import type { JobPorts } from "../domain/JobViews.js"
import { JobManager } from "../JobManager.js"
import * as Wire from "./wire.js"

/**
 * The most notices kept for one result; beyond this the oldest are dropped and counted.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PENDING_NOTICES = 20

/**
 * The name logging notifications carry as their `logger`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NOTICE_LOGGER = "mcp-background-job"

/**
 * Notices handed to one result: the newest kept, and how many older ones were dropped.
 *
 * @since 0.1.0
 * @category models
 */
export interface TakenNotices {
  readonly notices: ReadonlyArray<JobNotice>
  readonly omitted: number
}

/**
 * The notices waiting for the next result, at most `limit` of them (the newest).
 *
 * @since 0.1.0
 * @category models
 */
export class PendingNotices {
  private notices: Array<JobNotice> = []
  private omitted = 0

  constructor(private readonly limit: number = MAX_PENDING_NOTICES) {}

  add(notice: JobNotice): void {
    this.notices.push(notice)
    if (this.notices.length > this.limit) {
      this.notices.shift()
      this.omitted++
    }
  }

  /** The pending notices, which are then no longer pending; `undefined` when there are none. */
  take(): TakenNotices | undefined {
    if (this.notices.length === 0) return undefined
    const taken = { notices: this.notices, omitted: this.omitted }
    this.notices = []
    this.omitted = 0
    return taken
  }
}

/**
 * The notices of one session.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionNotices {
  /** Takes the notices pending since the previous take (`undefined` when there are none). */
  readonly take: () => TakenNotices | undefined
}

const severity = (level: LoggingLevel): number => LoggingLevelSchema.options.indexOf(level)

/**
 * The level the client set with `logging/setLevel`, when this module has to answer it: the SDK's `Server`
 * answers it (and filters its logging notifications by it) only when it was constructed with the `logging`
 * capability. Call after the capability is declared.
 */
const levelSetByClient = (server: Server): (() => LoggingLevel | undefined) => {
  let level: LoggingLevel | undefined
  const sdkAnswers = Either.isLeft(Either.try(() => server.assertCanSetRequestHandler(SetLevelRequestSchema.shape.method.value)))
  if (!sdkAnswers) {
    server.setRequestHandler(SetLevelRequestSchema, (request) => {
      level = request.params.level
      return Promise.resolve({})
    })
  }
  return () => level
}

const encodeNotice = Schema.encodeSync(Wire.JobNotice)

/**
 * Follows the session's jobs for the scope's lifetime (call with the `logging` capability declared on
 * `server`): a job that ends from now on is a notice. Jobs that ended before are not news to the session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const follow = (server: Server): Effect.Effect<SessionNotices, never, JobManager | Scope.Scope> =>
  Effect.gen(function*() {
    const jobs = yield* JobManager
    const pending = new PendingNotices()
    const level = levelSetByClient(server)
    const log = (notice: JobNotice) => {
      const threshold = level()
      if (threshold !== undefined && severity("info") < severity(threshold)) return Effect.void
      // A session whose client has gone cannot be told; the notice still waits for a result.
      return Effect.tryPromise(() =>
        server.sendLoggingMessage({ level: "info", logger: NOTICE_LOGGER, data: encodeNotice(notice) }, server.transport?.sessionId)
      ).pipe(Effect.ignore)
    }
    const tell = (notice: JobNotice) =>
      Effect.suspend(() => {
        pending.add(notice)
        return log(notice)
      })
    // The ports each job was last seen listening on: a killed job's notice says whether they are free again.
    const listening = new Map<string, JobPorts>()
    yield* jobs.lifecycleEvents.pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "PortsChanged": {
            listening.set(event.jobId, event.ports)
            return Effect.void
          }
          case "Restarted":
            return Effect.flatMap(Effect.option(jobs.status(event.jobId)), (details) =>
              tell(restartNoticeOf(event, Option.match(details, { onNone: () => "", onSome: (job) => job.command }))))
          case "Exited": {
            const held = listening.get(event.jobId)
            listening.delete(event.jobId)
            const notice = noticeOf(event)
            if (event.status !== "killed" || held === undefined || held.tcp.length + held.udp.length === 0) return tell(notice)
            // Waiting for the ports must not hold up the notices of other jobs.
            return jobs.awaitPortsFree(held).pipe(
              Effect.flatMap((free) => tell(free === null ? notice : { ...notice, portsFree: free })),
              Effect.forkScoped,
              Effect.asVoid
            )
          }
          default:
            return Effect.void
        }
      }),
      Effect.forkScoped
    )
    return { take: () => pending.take() }
  })
