/**
 * A throw-away working directory for policy tests, with a file a slip would remove (`victim`), the path a
 * slip would create (`created`), and helpers a bypass might try to run (`script.sh`, an `ls` look-alike).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { JobConfig, type JobConfigInput } from "../../src/JobConfig.js"
import { type ExecuteOptions, JobManager } from "../../src/JobManager.js"
import type { CommandRejected, InvalidArgument, JobLimitReached, SpawnFailed } from "../../src/domain/errors.js"
import type { JobDetails } from "../../src/domain/JobViews.js"

export interface Sandbox {
  readonly dir: string
  readonly created: string
  readonly victim: string
  /** Whether nothing happened: `created` absent and `victim` present. */
  readonly untouched: () => boolean
  readonly reset: () => void
  readonly remove: () => void
}

export const makeSandbox = (): Sandbox => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mbj-policy-")))
  const created = path.join(dir, "created")
  const victim = path.join(dir, "victim")
  const script = "#!/bin/sh\ntouch \"$(dirname \"$0\")/created\"\n"
  fs.writeFileSync(path.join(dir, "script.sh"), script, { mode: 0o755 })
  fs.mkdirSync(path.join(dir, "bin"))
  fs.writeFileSync(path.join(dir, "bin", "ls"), script, { mode: 0o755 })
  fs.mkdirSync(path.join(dir, "sub"))
  const reset = () => {
    fs.rmSync(created, { force: true, recursive: true })
    fs.writeFileSync(victim, "keep me\n")
  }
  reset()
  return {
    dir,
    created,
    victim,
    untouched: () => !fs.existsSync(created) && fs.existsSync(victim),
    reset,
    remove: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}

export type ExecuteError = CommandRejected | JobLimitReached | SpawnFailed | InvalidArgument

const silent = Logger.minimumLogLevel(LogLevel.None)

/** Collects log lines as `message {annotations}`. */
export const collectingLogger = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      const text = Array.isArray(message) ? message.join(" ") : String(message)
      lines.push(`${logLevel.label} ${text} ${JSON.stringify(Object.fromEntries(annotations))}`)
    })
  )

/** A job manager on real processes; logs are silenced unless `logs` collects them. */
export const makeRuntime = (input: JobConfigInput, logs?: Array<string>) => {
  const runtime = ManagedRuntime.make(JobManager.layerNode(JobConfig.make({ cleanupInterval: 60, killGrace: 1, ...input })))
  const logging = logs === undefined ? silent : collectingLogger(logs)
  return {
    runtime,
    /** Executes and, if the job started, waits for it to end (a slip must have done its damage before we look). */
    execute: (options: ExecuteOptions): Promise<Either.Either<JobDetails, ExecuteError>> =>
      runtime.runPromise(
        Effect.gen(function*() {
          const manager = yield* JobManager
          const result = yield* Effect.either(manager.execute(options))
          if (Either.isRight(result)) yield* manager.wait(result.right.id, { timeout: "20 seconds" })
          return result
        }).pipe(Effect.provide(logging))
      ),
    /** Runs a command that must be allowed, and returns its result once it has ended. */
    run: (options: ExecuteOptions) =>
      runtime.runPromise(
        Effect.gen(function*() {
          const manager = yield* JobManager
          const job = yield* manager.execute(options)
          return yield* manager.wait(job.id, { timeout: "20 seconds", fromStart: true })
        }).pipe(Effect.provide(logging))
      ),
    dispose: () => runtime.dispose()
  }
}
