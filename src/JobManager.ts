/**
 * The `JobManager` service: the registry of jobs and every operation on them. Each job is a fiber in the
 * manager's scope; closing that scope stops every job (SIGTERM, grace, SIGKILL) before it finishes closing.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import {
  CommandRejected,
  InputNotAccepted,
  InvalidArgument,
  JobLimitReached,
  JobNotFound,
  JobNotRunning,
  SpawnFailed,
  StdinClosed
} from "./domain/errors.js"
import { JobEvent } from "./domain/JobEvent.js"
import type { JobDetails, JobSummary, OutputView, StdinMode, TailView, WaitResult } from "./domain/JobInfo.js"
import { Job, type JobSpec } from "./internal/Job.js"
import { JobConfig } from "./JobConfig.js"
import { compilePattern, readSince, tail as tailView } from "./internal/JobOutput.js"
import { awaitJob } from "./internal/JobWait.js"
import * as NodeSpawner from "./NodeSpawner.js"
import { CommandPolicy } from "./policy/CommandPolicy.js"
import { jobEnvironment } from "./policy/JobEnvironment.js"
import { resolveWorkingDirectory } from "./policy/WorkingDirectory.js"
import type { Position } from "./OutputBuffer.js"
import { type SignalName, Spawner } from "./Spawner.js"
import { awaitGone, stopGroup, stopJob, supervise } from "./internal/Supervisor.js"
import { toText } from "./internal/TextView.js"

/**
 * How to start a job.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions {
  /** Run by the shell as `<shell> -c <command>`: pipes, `&&` and `$VAR` work. */
  readonly command: string
  /** Working directory; a relative one is resolved against the configured working directory. */
  readonly cwd?: string | undefined
  /** Variables added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Time limit; `null` for none; omitted for the configured default. */
  readonly timeout?: Duration.DurationInput | null | undefined
  /** `"null"` gives the job end-of-file on stdin, so a program that asks a question does not hang. */
  readonly stdin?: StdinMode | undefined
  /** Who the job belongs to: `ownedBy(owner)` views see only their owner's jobs. Ignored by an owner's view. */
  readonly owner?: string | undefined
}

/**
 * How to read output.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputOptions {
  /** Return only output after this cursor (from an earlier result). */
  readonly cursor?: string | undefined
  /** Keep only lines matching this pattern. */
  readonly filter?: string | RegExp | undefined
  /** Keep only the newest text up to this many bytes. */
  readonly maxBytes?: number | undefined
  /** Keep ANSI escape sequences and carriage returns. */
  readonly raw?: boolean | undefined
}

/**
 * How to wait.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  /** Longest wait; default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Return as soon as a line of new output matches this pattern. */
  readonly until?: string | RegExp | undefined
  /** New output is what comes after this cursor; default: what arrives after the call. */
  readonly cursor?: string | undefined
  /** New output is everything since the job started (when no cursor is given). */
  readonly fromStart?: boolean | undefined
  readonly maxBytes?: number | undefined
  readonly raw?: boolean | undefined
}

/**
 * How to send input and collect the reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface InteractOptions {
  /** Return as soon as the reply matches this pattern. */
  readonly until?: string | RegExp | undefined
  /** Longest wait for the reply; default 5 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Return once no output arrived for this long (after the write); default 500 ms; not used with `until`. */
  readonly idle?: Duration.DurationInput | undefined
  /** Close stdin after writing (end-of-file). */
  readonly eof?: boolean | undefined
  /** Append a newline when the input lacks one; default true. */
  readonly newline?: boolean | undefined
  readonly maxBytes?: number | undefined
  readonly raw?: boolean | undefined
}

/**
 * What `kill` did: `signalled` when a specific signal was sent once (no escalation).
 *
 * @since 0.1.0
 * @category models
 */
export type KillResult = "killed" | "signalled" | "already_terminated" | "not_found"

const DEFAULT_WAIT = Duration.seconds(30)
const DEFAULT_INTERACT_TIMEOUT = Duration.seconds(5)
const DEFAULT_INTERACT_IDLE = Duration.millis(500)
/** Input is handed to the process in pieces this big, so a stalled reader is noticed within a bound. */
const INPUT_PIECE = 16 * 1024
/** Events kept for a subscriber that has not read them yet; beyond this the oldest are dropped. */
const EVENT_BUFFER = 512

/** Signals `kill` accepts by name. */
const signalNames = new Set(Object.keys(os.constants.signals))

/**
 * Signals a terminal sends to its whole foreground group (Ctrl-C, Ctrl-\, Ctrl-Z) and the ones meant to stop or
 * resume everything: they go to the shell too, which waits for its program on SIGINT and runs its traps.
 * Any other signal (SIGHUP, SIGUSR1, ...) goes to the programs only, or the shell would die of it and end a
 * job whose program handled it.
 */
const groupSignals = new Set(["SIGINT", "SIGQUIT", "SIGTSTP", "SIGSTOP", "SIGCONT", "SIGTERM", "SIGKILL"])

/**
 * The job runtime's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobManagerService {
  /** Starts a job; fails if the command is refused, the limit is reached or the process cannot start. */
  readonly execute: (
    options: ExecuteOptions
  ) => Effect.Effect<JobDetails, CommandRejected | JobLimitReached | SpawnFailed | InvalidArgument>
  /** Every job, newest first. */
  readonly list: Effect.Effect<ReadonlyArray<JobSummary>>
  readonly status: (id: string) => Effect.Effect<JobDetails, JobNotFound>
  readonly output: (id: string, options?: OutputOptions) => Effect.Effect<OutputView, JobNotFound | InvalidArgument>
  /** Both streams as one text, in the order the bytes arrived (what a terminal would have shown). */
  readonly transcript: (id: string, options?: { readonly raw?: boolean | undefined }) => Effect.Effect<string, JobNotFound>
  /** The last `lines` lines (1 to 1000) of each stream. */
  readonly tail: (
    id: string,
    lines: number,
    options?: { readonly raw?: boolean | undefined }
  ) => Effect.Effect<TailView, JobNotFound | InvalidArgument>
  /** Writes to the job's stdin and returns the output that arrived after the write. */
  readonly interact: (
    id: string,
    input: string,
    options?: InteractOptions
  ) => Effect.Effect<WaitResult, JobNotFound | JobNotRunning | StdinClosed | InputNotAccepted | InvalidArgument>
  /** Stops a job (SIGTERM to its group, SIGKILL after the grace period) without waiting; or sends one signal. */
  readonly kill: (id: string, options?: { readonly signal?: string | undefined }) => Effect.Effect<KillResult, InvalidArgument>
  /** Waits until the job ends, `until` matches new output, or the timeout passes. */
  readonly wait: (id: string, options?: WaitOptions) => Effect.Effect<WaitResult, JobNotFound | InvalidArgument>
  /** Stops the job if it runs (and waits until its group is gone), then starts its command again. */
  readonly restart: (
    id: string
  ) => Effect.Effect<JobDetails, JobNotFound | CommandRejected | JobLimitReached | SpawnFailed | InvalidArgument>
  /**
   * Job events, output chunks included. Each subscriber has its own bounded buffer (512 events); one that
   * falls behind loses the oldest events, never blocks a job. `Output.cursor` lets it re-read what it missed.
   */
  readonly events: Stream.Stream<JobEvent>
  /** Job events without output chunks (Started, Exited, Removed): cheap to follow during a flood. */
  readonly lifecycleEvents: Stream.Stream<JobEvent>
  /** `events` as a queue subscribed at once (a stream subscribes only when it starts); ends with the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<JobEvent>, never, Scope.Scope>
  /**
   * The same operations restricted to one owner's jobs: they start jobs owned by `owner`, and another
   * owner's job is as unknown to them as an id that never existed. A view cannot widen itself: asked for
   * another owner, it sees no job and starts none.
   */
  readonly ownedBy: (owner: string) => JobManagerService
}

/**
 * The job runtime service.
 *
 * @since 0.1.0
 * @category services
 */
export class JobManager extends Context.Tag("mcp-background-job/JobManager")<JobManager, JobManagerService>() {
  /**
   * The manager with an explicit configuration; needs a `Spawner`.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(config: JobConfig): Layer.Layer<JobManager, ConfigError.ConfigError, Spawner> {
    return Layer.scoped(JobManager, make(config))
  }

  /**
   * The manager configured through Effect's `Config` (the `MCP_BG_*` names, from the environment unless
   * another `ConfigProvider` is set); needs a `Spawner`.
   *
   * @since 0.1.0
   * @category layers
   */
  static get layerConfig(): Layer.Layer<JobManager, ConfigError.ConfigError, Spawner> {
    return Layer.unwrapEffect(Effect.map(JobConfig.config, (config) => JobManager.layer(config)))
  }

  /**
   * The manager with real processes: `layer(config)` with the live `Spawner` included.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerNode(config: JobConfig = JobConfig.make()): Layer.Layer<JobManager, ConfigError.ConfigError> {
    return JobManager.layer(config).pipe(Layer.provide(NodeSpawner.layer))
  }
}

const notFound = (id: string) => new JobNotFound({ jobId: id })

const validateEnv = (env: Readonly<Record<string, string>>): Either.Either<void, InvalidArgument> => {
  for (const [name, value] of Object.entries(env)) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      return Either.left(
        new InvalidArgument({ argument: "env", reason: `${JSON.stringify(name)} is not a valid variable name (no "=", no NUL, not empty).` })
      )
    }
    if (typeof value !== "string" || value.includes("\0")) {
      return Either.left(
        new InvalidArgument({ argument: "env", reason: `the value of ${name} must be a string without NUL characters.` })
      )
    }
  }
  return Either.right(undefined)
}

const decodeDuration = (argument: string, input: Duration.DurationInput): Either.Either<Duration.Duration, InvalidArgument> => {
  const duration = Duration.decodeUnknown(input)
  return Option.match(duration, {
    onNone: () => Either.left(new InvalidArgument({ argument, reason: `${String(input)} is not a duration.` })),
    onSome: (d) =>
      Duration.lessThan(d, Duration.zero) ?
        Either.left(new InvalidArgument({ argument, reason: "it must not be negative." })) :
        Either.right(d)
  })
}

const make = (config: JobConfig) =>
  Effect.gen(function*() {
    const spawner = yield* Spawner
    const managerScope = yield* Effect.scope
    // A policy provided in the context wins (an application's own rules); otherwise the configured one.
    const provided = yield* Effect.serviceOption(CommandPolicy)
    yield* JobConfig.validate(config, { commandPolicy: Option.getOrUndefined(provided)?.active })
    // Validated to exist: its real path is what a job's cwd is resolved against and checked to lie inside.
    const workingDir = yield* Effect.tryPromise(() => fs.realpath(config.workingDir)).pipe(Effect.orElseSucceed(() => config.workingDir))
    // A broken installation (the parser's WebAssembly missing) is a defect, not a configuration error.
    const policy = Option.isSome(provided) ? provided.value : yield* Effect.orDie(CommandPolicy.make(config))
    const restrictCwd = config.restrictCwd || config.allowedCommands.length > 0
    const jobs = new Map<string, Job>()
    const fibers = yield* FiberMap.make<string>()
    // Job scopes are children of this one, closed in parallel: on shutdown all jobs stop at once, not one grace period after another.
    const jobScopes = yield* Scope.fork(managerScope, ExecutionStrategy.parallel)
    // Closed first on shutdown: a job stopped by the shutdown reads killed, whatever its process does while dying.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const job of jobs.values()) if (job.status === "running") job.stopReason = "killed"
      })
    )
    const events = yield* PubSub.sliding<JobEvent>(EVENT_BUFFER)
    /** Subscribers of any kind, and those that want output chunks (publishing chunks costs on every read). */
    let subscribers = 0
    let outputSubscribers = 0
    /** Slots taken by executions between their limit check and their registration. */
    let reserved = 0

    const runningCount = () => {
      let count = 0
      for (const job of jobs.values()) if (job.processRunning) count++
      return count
    }

    const publish = (event: JobEvent) => (subscribers > 0 ? PubSub.publish(events, event) : Effect.void)

    const hooks = {
      onOutput: (job: Job, stream: "stdout" | "stderr", bytes: Uint8Array) =>
        outputSubscribers > 0 ?
          PubSub.publish(events, JobEvent.Output({ jobId: job.id, stream, bytes, cursor: job.cursorAt(job.buffer.position) })) :
          undefined,
      onExit: (job: Job) =>
        publish(JobEvent.Exited({ jobId: job.id, status: job.status, exitCode: job.exit?.code ?? null, signal: job.exit?.signal ?? null }))
    }
    const settings = { killGrace: config.killGrace, cleanupInterval: config.cleanupInterval }

    const lookup = (id: string): Effect.Effect<Job, JobNotFound> =>
      Effect.suspend(() => {
        const job = jobs.get(id)
        return job === undefined ? Effect.fail(notFound(id)) : Effect.succeed(job)
      })

    const details = (job: Job) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const stdinOpen = job.processRunning && job.process !== undefined ? yield* job.process.stdinOpen : false
        return job.details(now, stdinOpen)
      })

    const start = (spec: JobSpec) =>
      Effect.uninterruptible(Effect.gen(function*() {
        if (runningCount() + reserved >= config.maxJobs) {
          return yield* new JobLimitReached({ limit: config.maxJobs })
        }
        const id = randomUUID()
        const job = new Job(id, spec, new Date(yield* Clock.currentTimeMillis), config.maxOutputSize)
        reserved++
        const scope = yield* Scope.fork(jobScopes, ExecutionStrategy.sequential)
        const spawned = yield* spawner.spawn({
          shell: config.shell,
          command: spec.command,
          limits: config.limits,
          cwd: spec.cwd,
          env: jobEnvironment({ inherited: process.env, scrub: config.scrubEnv, extra: spec.env }),
          stdin: spec.stdin
        }).pipe(
          Scope.extend(scope),
          Effect.tapError(() => Scope.close(scope, Exit.void)),
          Effect.ensuring(Effect.sync(() => reserved--))
        )
        // Added last, so it runs first when the scope closes: the graceful stop before the hard one.
        yield* Scope.addFinalizer(scope, stopGroup(spawned, config.killGrace))
        job.process = spawned
        job.scope = scope
        jobs.set(id, job)
        yield* FiberMap.run(
          fibers,
          id,
          supervise(job, spawned, settings, hooks).pipe(
            Effect.ensuring(
              Effect.suspend(() => {
                jobs.delete(id)
                job.removed = true
                job.stateChanged.fire()
                return Scope.close(scope, Exit.void).pipe(Effect.zipRight(publish(JobEvent.Removed({ jobId: id }))))
              })
            )
          )
        )
        yield* publish(JobEvent.Started({ jobId: id, command: spec.command, pid: spawned.pid }))
        yield* Effect.logInfo("job started").pipe(Effect.annotateLogs({ job: id, pid: spawned.pid, command: spec.command }))
        return yield* details(job)
      }))

    const execute = Effect.fn("JobManager.execute")(function*(options: ExecuteOptions) {
      yield* policy.check(options.command)
      const env = options.env ?? {}
      yield* validateEnv(env)
      yield* policy.checkEnv(options.command, env)
      const cwd = yield* resolveWorkingDirectory({ workingDir, cwd: options.cwd, restrict: restrictCwd, command: options.command })
      const timeout = options.timeout === undefined ?
        config.jobTimeout :
        options.timeout === null ?
        Option.none() :
        Option.some(yield* decodeDuration("timeout", options.timeout))
      const stdin = options.stdin ?? "pipe"
      return yield* start({ command: options.command, cwd, env, timeout, stdin, owner: options.owner })
    })

    const list = Effect.sync(() => Array.from(jobs.values(), (job) => job.summary()).reverse())

    const status = Effect.fn("JobManager.status")(function*(id: string) {
      return yield* details(yield* lookup(id))
    })

    const positionFor = (job: Job, cursor: string | undefined, fallback: Position) =>
      cursor === undefined ? Effect.succeed(fallback) : job.parseCursor(cursor)

    const checkMaxBytes = (maxBytes: number | undefined): Either.Either<number | undefined, InvalidArgument> =>
      maxBytes === undefined || (Number.isSafeInteger(maxBytes) && maxBytes >= 1) ?
        Either.right(maxBytes) :
        Either.left(new InvalidArgument({ argument: "max_bytes", reason: `${maxBytes} is not a positive integer.` }))

    const output = Effect.fn("JobManager.output")(function*(id: string, options: OutputOptions = {}) {
      const job = yield* lookup(id)
      const from = yield* positionFor(job, options.cursor, { stdout: 0, stderr: 0 })
      const filter = options.filter === undefined ? undefined : yield* compilePattern("filter", options.filter)
      const maxBytes = yield* checkMaxBytes(options.maxBytes)
      return readSince(job, from, { raw: options.raw, filter, maxBytes })
    })

    const transcript = Effect.fn("JobManager.transcript")(function*(id: string, options: { readonly raw?: boolean | undefined } = {}) {
      const job = yield* lookup(id)
      return toText(job.buffer.readInterleaved(), { raw: options.raw })
    })

    const tail = Effect.fn("JobManager.tail")(function*(id: string, lines: number, options: { readonly raw?: boolean | undefined } = {}) {
      const job = yield* lookup(id)
      if (!Number.isSafeInteger(lines) || lines < 1 || lines > 1000) {
        return yield* new InvalidArgument({ argument: "lines", reason: `${lines} is out of range: pass a whole number from 1 to 1000.` })
      }
      return tailView(job, lines, options.raw)
    })

    const wait = Effect.fn("JobManager.wait")(function*(id: string, options: WaitOptions = {}) {
      const job = yield* lookup(id)
      const from = yield* positionFor(job, options.cursor, options.fromStart === true ? { stdout: 0, stderr: 0 } : job.buffer.position)
      const until = options.until === undefined ? undefined : yield* compilePattern("until", options.until)
      const timeout = yield* decodeDuration("timeout", options.timeout ?? DEFAULT_WAIT)
      const maxBytes = yield* checkMaxBytes(options.maxBytes)
      return yield* awaitJob(job, from, { timeout, until, maxBytes, raw: options.raw })
    })

    const interact = Effect.fn("JobManager.interact")(function*(id: string, input: string, options: InteractOptions = {}) {
      const job = yield* lookup(id)
      const until = options.until === undefined ? undefined : yield* compilePattern("until", options.until)
      const timeout = yield* decodeDuration("timeout", options.timeout ?? DEFAULT_INTERACT_TIMEOUT)
      // With `until` the caller said what ends the reply: a pause before it (a slow answer) does not.
      const idleInput = options.idle ?? (until === undefined ? DEFAULT_INTERACT_IDLE : undefined)
      const idle = idleInput === undefined ? undefined : yield* decodeDuration("idle", idleInput)
      const maxBytes = yield* checkMaxBytes(options.maxBytes)
      const process = job.process
      if (job.status !== "running" || process === undefined) {
        return yield* new JobNotRunning({ jobId: id, status: job.status })
      }
      const text = options.newline === false || input.endsWith("\n") || input === "" && options.eof === true ?
        input :
        input + "\n"
      const bytes = Buffer.from(text, "utf8")
      // The reply is what arrives after this point: nothing read before the write belongs to it.
      const mark = job.buffer.position
      // One bound for the whole call: writing and waiting for the reply share it.
      const startedAt = yield* Clock.currentTimeMillis
      let accepted = 0
      const writeAll = Effect.gen(function*() {
        for (let offset = 0; offset < bytes.length; offset += INPUT_PIECE) {
          const piece = bytes.subarray(offset, offset + INPUT_PIECE)
          yield* process.write(piece)
          accepted += piece.length
        }
      })
      const written = yield* writeAll.pipe(
        Effect.mapError((error) =>
          new StdinClosed({
            jobId: id,
            reason: accepted === 0 ? error.reason : `${error.reason}, after ${accepted} of ${bytes.length} bytes were accepted`
          })
        ),
        // Only the bound becomes InputNotAccepted: a closed stdin stays a StdinClosed error.
        Effect.timeoutOption(timeout)
      )
      if (Option.isNone(written)) {
        return yield* new InputNotAccepted({ jobId: id, accepted, total: bytes.length })
      }
      if (options.eof === true) yield* process.closeStdin
      const remaining = Duration.millis(Math.max(0, startedAt + Duration.toMillis(timeout) - (yield* Clock.currentTimeMillis)))
      return yield* awaitJob(job, mark, { timeout: remaining, until, idle, maxBytes, raw: options.raw })
    })

    const checkSignal = (name: string | undefined): Either.Either<string | undefined, InvalidArgument> => {
      const signal = name?.toUpperCase()
      return signal === undefined || signalNames.has(signal) ?
        Either.right(signal) :
        Either.left(
          new InvalidArgument({
            argument: "signal",
            reason: `${JSON.stringify(name)} is not a signal name. Use a name such as SIGINT, SIGTERM, SIGHUP or SIGUSR1.`
          })
        )
    }

    const kill = Effect.fn("JobManager.kill")(function*(id: string, options: { readonly signal?: string | undefined } = {}) {
      const job = jobs.get(id)
      const signal = yield* checkSignal(options.signal)
      if (job === undefined) return "not_found" as const
      if (job.status !== "running" || job.process === undefined) return "already_terminated" as const
      if (signal !== undefined && signal !== "SIGKILL") {
        job.signalsSent.add(signal)
        yield* job.process.signal(signal as SignalName, groupSignals.has(signal) ? "group" : "programs")
        yield* Effect.logInfo("job signalled").pipe(Effect.annotateLogs({ job: id, signal }))
        return "signalled" as const
      }
      const stopped = yield* stopJob(job, "killed", signal === "SIGKILL" ? Duration.zero : config.killGrace)
      yield* Effect.logInfo("job killed").pipe(Effect.annotateLogs({ job: id }))
      return stopped ? "killed" as const : "already_terminated" as const
    })

    const restart = Effect.fn("JobManager.restart")(function*(id: string) {
      const job = yield* lookup(id)
      const process = job.process
      if (process !== undefined && (job.processRunning || (yield* process.groupAlive))) {
        yield* stopJob(job, "killed", config.killGrace)
        // The old run must be gone (ports, files) before the new one starts: its shell, then its group.
        yield* process.exit.pipe(Effect.timeoutOption(Duration.sum(config.killGrace, Duration.seconds(1))))
        yield* awaitGone(process, Duration.seconds(1))
      }
      return yield* start(job.spec)
    })

    const subscription = (withOutput: boolean) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          subscribers++
          if (withOutput) outputSubscribers++
        }),
        () =>
          Effect.sync(() => {
            subscribers--
            if (withOutput) outputSubscribers--
          })
      ).pipe(Effect.zipRight(PubSub.subscribe(events)))

    const subscribe = (withOutput: boolean): Stream.Stream<JobEvent> =>
      Stream.unwrapScoped(
        subscription(withOutput).pipe(
          Effect.map((queue) => {
            const stream = Stream.fromQueue(queue)
            return withOutput ? stream : Stream.filter(stream, (event) => event._tag !== "Output")
          })
        )
      )

    /**
     * One owner's view. Ownership is checked by id before each operation, so a foreign job answers exactly
     * like a missing one; `permitted: false` is the view a view gives for another owner: it sees nothing.
     */
    const ownedView = (owner: string, permitted: boolean): JobManagerService => {
      const owns = (id: string) => permitted && jobs.get(id)?.spec.owner === owner
      const ifOwned = <A, E>(id: string, operation: () => Effect.Effect<A, E>): Effect.Effect<A, E | JobNotFound> =>
        Effect.suspend((): Effect.Effect<A, E | JobNotFound> => (owns(id) ? operation() : Effect.fail(notFound(id))))
      // A removed job is gone from the registry, so its removal is recognised by the ids this subscriber saw.
      const ownEvents = (stream: Stream.Stream<JobEvent>) =>
        Stream.suspend(() => {
          const seen = new Set(Array.from(jobs.values(), (job) => job.id).filter(owns))
          return Stream.filter(stream, (event) => {
            if (event._tag === "Removed") return seen.delete(event.jobId)
            if (!owns(event.jobId)) return false
            seen.add(event.jobId)
            return true
          })
        })
      const view: JobManagerService = JobManager.of({
        execute: (options) =>
          permitted ?
            execute({ ...options, owner }) :
            Effect.fail(new InvalidArgument({ argument: "owner", reason: `this view cannot start jobs for ${JSON.stringify(owner)}.` })),
        list: Effect.map(list, (summaries) => summaries.filter((job) => owns(job.id))),
        status: (id) => ifOwned(id, () => status(id)),
        output: (id, options) => ifOwned(id, () => output(id, options)),
        transcript: (id, options) => ifOwned(id, () => transcript(id, options)),
        tail: (id, lines, options) => ifOwned(id, () => tail(id, lines, options)),
        interact: (id, input, options) => ifOwned(id, () => interact(id, input, options)),
        kill: (id, options) => Effect.suspend(() => (owns(id) ? kill(id, options) : Effect.as(checkSignal(options?.signal), "not_found" as const))),
        wait: (id, options) => ifOwned(id, () => wait(id, options)),
        restart: (id) => ifOwned(id, () => restart(id)),
        events: ownEvents(subscribe(true)),
        lifecycleEvents: ownEvents(subscribe(false)),
        // The owner's events, forwarded into a queue of its own (same bound, same drop-oldest rule).
        subscribe: Effect.gen(function*() {
          const own = yield* Effect.acquireRelease(PubSub.sliding<JobEvent>(EVENT_BUFFER), PubSub.shutdown)
          const queue = yield* PubSub.subscribe(own)
          const source = yield* subscription(true)
          yield* ownEvents(Stream.fromQueue(source)).pipe(
            Stream.runForEach((event) => PubSub.publish(own, event)),
            Effect.forkScoped
          )
          return queue
        }),
        ownedBy: (other) => (other === owner ? view : ownedView(other, false))
      })
      return view
    }

    return JobManager.of({
      execute,
      list,
      status,
      output,
      transcript,
      tail,
      interact,
      kill,
      wait,
      restart,
      events: subscribe(true),
      lifecycleEvents: subscribe(false),
      subscribe: subscription(true),
      ownedBy: (owner) => ownedView(owner, true)
    })
  })
