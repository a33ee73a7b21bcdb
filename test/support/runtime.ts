/**
 * The job runtime with real processes, in this process: a layer to provide per test (or to build once for a
 * server), its logging, and the steps most tests take (run a command to its end, wait for a job's end).
 */
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type { CommandRejected, InvalidArgument, JobLimitReached, SpawnFailed } from "../../src/domain/errors.js"
import type { JobDetails } from "../../src/domain/JobViews.js"
import { JobConfig, type JobConfigInput } from "../../src/JobConfig.js"
import { type ExecuteOptions, JobManager } from "../../src/JobManager.js"
import { type MarkedSleep, markedSleepScoped } from "./markedSleep.js"

/** Collects log lines as `LEVEL message {annotations}`. */
export const collectingLogger = (lines: Array<string>): Layer.Layer<never> =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      const text = Array.isArray(message) ? message.join(" ") : String(message)
      lines.push(`${logLevel.label} ${text} ${JSON.stringify(Object.fromEntries(annotations))}`)
    })
  )

/** Warnings and errors only: a test's output shows what went wrong, not every job started. */
export const quietLogs: Layer.Layer<never> = Logger.minimumLogLevel(LogLevel.Warning)

/**
 * `JobManager.layerNode` with a 1-second kill grace unless `input` says otherwise, logging quietly, or into
 * `logs` when given. Provided to an effect, the logging holds for the fibers it starts too.
 */
export const liveJobs = (
  input: JobConfigInput = {},
  options: { readonly logs?: Array<string> } = {}
): Layer.Layer<JobManager, ConfigError.ConfigError> =>
  JobManager.layerNode(JobConfig.make({ killGrace: "1 second", ...input })).pipe(
    Layer.provideMerge(options.logs === undefined ? quietLogs : collectingLogger(options.logs))
  )

/**
 * A test on `liveJobs(input)` with a marked sleep of its own: when the test ends the runtime stops first (its
 * jobs with it), then whatever is left of the sleeps is killed when the caller's scope closes.
 */
export const withMarkedSleep = <A, E>(input: JobConfigInput, test: (sleep: MarkedSleep) => Effect.Effect<A, E, JobManager>) =>
  Effect.flatMap(markedSleepScoped, (sleep) => test(sleep).pipe(Effect.provide(liveJobs(input))))

/** Waits for a job's end (or the bound), with all its output from the start. */
export const finished = (id: string, timeout: Duration.DurationInput = "10 seconds") =>
  Effect.flatMap(JobManager, (jobs) => jobs.wait(id, { timeout, fromStart: true }))

/** Runs a command that must be allowed, and returns its result once it has ended. */
export const runToEnd = (options: ExecuteOptions, timeout: Duration.DurationInput = "20 seconds") =>
  Effect.flatMap(JobManager, (jobs) => Effect.flatMap(jobs.execute(options), (job) => finished(job.id, timeout)))

/** What `execute` may refuse with. */
export type ExecuteError = CommandRejected | JobLimitReached | SpawnFailed | InvalidArgument

/** Executes and, if the job started, waits for it to end (a slip must have done its damage before we look). */
export const executeToEnd = Effect.fnUntraced(function*(options: ExecuteOptions) {
  const jobs = yield* JobManager
  const result: Either.Either<JobDetails, ExecuteError> = yield* Effect.either(jobs.execute(options))
  if (Either.isRight(result)) yield* jobs.wait(result.right.id, { timeout: "20 seconds" })
  return result
})

/** Every retained byte of a job's output as text, read page by page with a cursor from the start. */
export const readAllOutput = Effect.fnUntraced(function*(id: string, options: { readonly maxBytes?: number } = {}) {
  const jobs = yield* JobManager
  let cursor = `${id.slice(0, 8)}:0:0`
  let stdout = ""
  let stderr = ""
  let pages = 0
  while (true) {
    const page = yield* jobs.output(id, { cursor, ...options })
    stdout += page.stdout
    stderr += page.stderr
    cursor = page.cursor
    pages++
    if (page.remainingBytes === 0) return { stdout, stderr, cursor, pages }
  }
})
