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
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as fs from "node:fs/promises"
import {
  type CommandRejected,
  type InputNotAccepted,
  InvalidArgument,
  type JobLimitReached,
  type JobNotFound,
  JobNotRunning,
  JobsNotFound,
  type SpawnFailed,
  type StdinClosed
} from "./domain/errors.js"
import { JobEvent } from "./domain/JobEvent.js"
import type { KillResult, RestartMode, StdinMode } from "./domain/JobStatus.js"
import type { JobDetails, JobPorts, JobSummary, OutputView, TailView, WaitResult } from "./domain/JobViews.js"
import type { WaitAllResult, WaitAnyResult } from "./domain/WaitMany.js"
import { makeEventHub } from "./internal/EventHub.js"
import type { Job } from "./internal/Job.js"
import { makeJobLauncher } from "./internal/JobLauncher.js"
import {
  checkContext,
  checkDuration,
  checkEnv,
  checkMaxBytes,
  checkPort,
  checkRestartPolicy,
  checkSignal,
  checkTailLines,
  inputBytes,
  signalTarget
} from "./internal/jobArguments.js"
import { readPage, readSince, readTranscript, search, tail as tailView } from "./internal/JobOutput.js"
import { JobTable } from "./internal/JobTable.js"
import { awaitAllJobs, awaitAnyJob, awaitJob } from "./internal/JobWait.js"
import { compileLinePattern } from "./internal/LinePattern.js"
import { ownedView } from "./internal/OwnerView.js"
import { makePortMonitor } from "./internal/PortMonitor.js"
import { portSource } from "./internal/portScan.js"
import { DEFAULT_MAX_RESTARTS, MAX_RESTARTS_LIMIT } from "./internal/RestartPolicy.js"
import { writeInput } from "./internal/stdinWriter.js"
import { awaitGone, killJob, stopJob } from "./internal/Supervisor.js"
import { JobConfig } from "./JobConfig.js"
import * as NodeSpawner from "./NodeSpawner.js"
import type { Position, StreamName } from "./OutputBuffer.js"
import { CommandPolicy, type CommandPolicyService } from "./policy/CommandPolicy.js"
import { resolveWorkingDirectory } from "./policy/WorkingDirectory.js"
import { Spawner } from "./Spawner.js"

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
  /**
   * When the job counts as ready (see `WaitOptions.untilReady`): a line of output matches this pattern (a string
   * is RE2 syntax), or it listens on this port (`"any"`: on any port). `restart` keeps it.
   */
  readonly ready?: string | RegExp | { readonly port: number | "any" } | undefined
  /**
   * Run the command again when it exits: after a failure (`on-failure`) or any exit (`always`) that `kill`, the
   * time limit or shutdown did not cause; back-off 1 s doubling to 60 s. The job keeps its id and output.
   */
  readonly restart?: RestartMode | undefined
  /** Consecutive restarts before the job ends with its last exit, 0 to 1000; default 5 (a 60-second run starts the count over). */
  readonly maxRestarts?: number | undefined
}

/**
 * How to read output.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputOptions {
  /** Page on from this cursor (from an earlier result); without it, the head and tail of all retained output. */
  readonly cursor?: string | undefined
  /** Only lines matching this pattern, paged like a cursor read (a string is RE2 syntax, linear time; a `RegExp` runs as written). */
  readonly filter?: string | RegExp | undefined
  /** Lines before and after each `filter` match, 0 to 100 (default 0). */
  readonly context?: number | undefined
  /** Only this stream (without a cursor or filter: a resource's view). */
  readonly stream?: StreamName | undefined
  /** The result budget for this call, 1 byte to 1 MiB; default the configured `maxResultSize`. */
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
  /** Return as soon as a line of new output matches this pattern (a string is RE2 syntax; see `filter`). */
  readonly until?: string | RegExp | undefined
  /** New output is what comes after this cursor; default: what arrives after the call. */
  readonly cursor?: string | undefined
  /** New output is everything since the job started (when no cursor is given). */
  readonly fromStart?: boolean | undefined
  /** Return once the job listens on this port (TCP or UDP), or on any with `true`; the result carries its ports. */
  readonly untilPort?: boolean | number | undefined
  /** Return once the job is ready by its `ready` condition (instead of `until` and `untilPort`); ignored without one. */
  readonly untilReady?: boolean | undefined
  readonly maxBytes?: number | undefined
  readonly raw?: boolean | undefined
}

/**
 * How to wait for several jobs: as for one, but new output is what each job prints after the call (or,
 * with `fromStart`, since it started).
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitManyOptions extends Omit<WaitOptions, "cursor" | "untilPort" | "untilReady"> {}

/**
 * How to send input and collect the reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface InteractOptions {
  /** Return as soon as the reply matches this pattern (a string is RE2 syntax; see `filter`). */
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
  /** The configured result budget: bytes of output text one result carries unless a call asks otherwise. */
  readonly maxResultSize: number
  /** Every job, newest first. */
  readonly list: Effect.Effect<ReadonlyArray<JobSummary>>
  readonly status: (id: string) => Effect.Effect<JobDetails, JobNotFound>
  readonly output: (id: string, options?: OutputOptions) => Effect.Effect<OutputView, JobNotFound | InvalidArgument>
  /**
   * Both streams as one text, in the order the bytes arrived (what a terminal would have shown), within the
   * result budget (head and tail around a marker line when it does not fit).
   */
  readonly transcript: (
    id: string,
    options?: { readonly raw?: boolean | undefined; readonly maxBytes?: number | undefined }
  ) => Effect.Effect<string, JobNotFound | InvalidArgument>
  /** The last `lines` lines (1 to 1000) of each stream, within the result budget. */
  readonly tail: (
    id: string,
    lines: number,
    options?: { readonly raw?: boolean | undefined; readonly maxBytes?: number | undefined }
  ) => Effect.Effect<TailView, JobNotFound | InvalidArgument>
  /** Writes to the job's stdin and returns the output that arrived after the write. */
  readonly interact: (
    id: string,
    input: string,
    options?: InteractOptions
  ) => Effect.Effect<WaitResult, JobNotFound | JobNotRunning | StdinClosed | InputNotAccepted | InvalidArgument>
  /** Stops a job (SIGTERM to its group, SIGKILL after the grace period) without waiting; or sends one signal (SIGKILL stops it as killed). */
  readonly kill: (id: string, options?: { readonly signal?: string | undefined }) => Effect.Effect<KillResult, InvalidArgument>
  /** Waits until the job ends, `until` matches new output, or the timeout passes. */
  readonly wait: (id: string, options?: WaitOptions) => Effect.Effect<WaitResult, JobNotFound | InvalidArgument>
  /**
   * Waits until the first of `ids` ends (or prints a line matching `until`), or the timeout passes; the
   * result is that job's (at the timeout, the first job's). Fails naming every id that is not a job.
   */
  readonly waitAny: (
    ids: ReadonlyArray<string>,
    options?: WaitManyOptions
  ) => Effect.Effect<WaitAnyResult, JobsNotFound | InvalidArgument>
  /** Waits until every one of `ids` has ended (or printed a line matching `until`), or the timeout passes. */
  readonly waitAll: (
    ids: ReadonlyArray<string>,
    options?: WaitManyOptions
  ) => Effect.Effect<WaitAllResult, JobsNotFound | InvalidArgument>
  /**
   * Waits until nothing listens on any of `ports` any more (whoever held them), within `timeout` (default: the
   * kill grace plus a second, by when a stopped job's group is gone): true once they are free, false if not by
   * then, null where listening sockets cannot be read.
   */
  readonly awaitPortsFree: (ports: JobPorts, options?: { readonly timeout?: Duration.DurationInput | undefined }) => Effect.Effect<boolean | null>
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
    return Layer.scoped(
      JobManager,
      Effect.gen(function*() {
        // Checked before the policy loads its parser: a bad value is reported at once.
        yield* JobConfig.validate(config)
        // A broken installation (the parser's WebAssembly missing) is a defect, not a configuration error.
        return yield* make(config, yield* Effect.orDie(CommandPolicy.make(config)))
      })
    )
  }

  /**
   * The manager with an explicit configuration and the application's own `CommandPolicy` instead of the one
   * the configuration describes; needs a `Spawner` and the policy.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerWithPolicy(config: JobConfig): Layer.Layer<JobManager, ConfigError.ConfigError, Spawner | CommandPolicy> {
    return Layer.scoped(
      JobManager,
      Effect.gen(function*() {
        const policy = yield* CommandPolicy
        // The application's policy, not the config's lists, decides whether the shell must be one the parser covers.
        yield* JobConfig.validate(config, { commandPolicy: policy.active })
        return yield* make(config, policy)
      })
    )
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

const DEFAULT_WAIT = Duration.seconds(30)
const DEFAULT_INTERACT_TIMEOUT = Duration.seconds(5)
const DEFAULT_INTERACT_IDLE = Duration.millis(500)
/** A restarted job's old run must be gone (ports, files) before the new one starts; this long at most for its group. */
const RESTART_GONE_BOUND = Duration.seconds(1)

const START_CURSOR: Position = { stdout: 0, stderr: 0 }

const portsUnknown = (argument: string) =>
  new InvalidArgument({
    argument,
    reason: "the ports a job listens on cannot be read here (no /proc, no lsof). Wait for a line of output instead, e.g. \"listening|ready\"."
  })

/** The start of one stream's output, the other stream's end: a read from it sees that stream alone. */
const streamStart = (job: Job, stream: StreamName | undefined): Position =>
  stream === undefined ?
    START_CURSOR :
    stream === "stdout" ?
    { stdout: 0, stderr: job.buffer.bytesSeen("stderr") } :
    { stdout: job.buffer.bytesSeen("stdout"), stderr: 0 }

const make = Effect.fnUntraced(function*(config: JobConfig, policy: CommandPolicyService) {
  // Validated to exist: its real path is what a job's cwd is resolved against and checked to lie inside.
  const workingDir = yield* Effect.tryPromise(() => fs.realpath(config.workingDir)).pipe(Effect.orElseSucceed(() => config.workingDir))
  const restrictCwd = config.restrictCwd || config.allowedCommands.length > 0
  const table = new JobTable()
  const hub = yield* makeEventHub
  const ports = yield* makePortMonitor(table, hub)
  const { details, start } = yield* makeJobLauncher({ config, table, hub, ports, spawner: yield* Spawner })

  const execute = Effect.fn("JobManager.execute")(function*(options: ExecuteOptions) {
    yield* policy.check(options.command)
    const env = yield* checkEnv(options.env ?? {})
    yield* policy.checkEnv(options.command, env)
    const cwd = yield* resolveWorkingDirectory({ workingDir, cwd: options.cwd, restrict: restrictCwd, command: options.command })
    const timeout = options.timeout === undefined ?
      config.jobTimeout :
      options.timeout === null ?
      Option.none() :
      Option.some(yield* checkDuration("timeout", options.timeout))
    const ready = options.ready === undefined ?
      undefined :
      typeof options.ready === "object" && !(options.ready instanceof RegExp) ?
      { port: yield* checkPort("ready.port", options.ready.port) } :
      { until: yield* compileLinePattern("ready", options.ready) }
    if (ready !== undefined && "port" in ready && portSource() === "none") return yield* portsUnknown("ready")
    const restart = options.restart === undefined && options.maxRestarts === undefined ?
      undefined :
      yield* checkRestartPolicy(options.restart ?? "no", options.maxRestarts, DEFAULT_MAX_RESTARTS, MAX_RESTARTS_LIMIT)
    return yield* start({ command: options.command, cwd, env, timeout, stdin: options.stdin ?? "pipe", owner: options.owner, ready, restart })
  })

  const list = Effect.suspend(() => ports.refresh(table.all())).pipe(
    Effect.zipRight(Effect.sync(() => Array.from(table.all(), (job) => job.summary()).reverse()))
  )

  const status = Effect.fn("JobManager.status")(function*(id: string) {
    const job = yield* table.lookup(id)
    yield* ports.refresh([job])
    return yield* details(job)
  })

  const positionFor = (job: Job, cursor: string | undefined, fallback: Position) =>
    cursor === undefined ? Effect.succeed(fallback) : job.parseCursor(cursor)

  const output = Effect.fn("JobManager.output")(function*(id: string, options: OutputOptions = {}) {
    const job = yield* table.lookup(id)
    const from = yield* positionFor(job, options.cursor, streamStart(job, options.stream))
    const filter = options.filter === undefined ? undefined : yield* compileLinePattern("filter", options.filter)
    const context = yield* checkContext(options.context)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    const read = { raw: options.raw, budget }
    if (filter !== undefined) return yield* search(job, from, { ...read, pattern: filter, context })
    if (options.cursor !== undefined) return readPage(job, from, read)
    return { ...readSince(job, from, read), matches: null }
  })

  const transcript = Effect.fn("JobManager.transcript")(function*(
    id: string,
    options: { readonly raw?: boolean | undefined; readonly maxBytes?: number | undefined } = {}
  ) {
    const job = yield* table.lookup(id)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    return readTranscript(job, START_CURSOR, { raw: options.raw, budget }).stdout
  })

  const tail = Effect.fn("JobManager.tail")(function*(
    id: string,
    lines: number,
    options: { readonly raw?: boolean | undefined; readonly maxBytes?: number | undefined } = {}
  ) {
    const job = yield* table.lookup(id)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    return tailView(job, yield* checkTailLines(lines), { raw: options.raw, budget })
  })

  const wait = Effect.fn("JobManager.wait")(function*(id: string, options: WaitOptions = {}) {
    const job = yield* table.lookup(id)
    const from = yield* positionFor(job, options.cursor, options.fromStart === true ? START_CURSOR : job.buffer.position)
    const ready = options.untilReady === true ? job.spec.ready : undefined
    const until = ready !== undefined ?
      ("until" in ready ? ready.until : undefined) :
      options.until === undefined ? undefined : yield* compileLinePattern("until", options.until)
    const untilPort = ready !== undefined ?
      ("port" in ready ? ready.port : undefined) :
      options.untilPort === undefined || options.untilPort === false ? undefined : yield* checkPort("until_port", options.untilPort)
    const timeout = yield* checkDuration("timeout", options.timeout ?? DEFAULT_WAIT)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    const waiting = awaitJob(job, from, { timeout, until, untilPort, budget, raw: options.raw })
    if (untilPort === undefined) return yield* waiting
    // A port opened just now counts: look at once, then let the watcher look often while this waits.
    yield* ports.refresh([job], 0)
    if (job.ports === null) return yield* portsUnknown(options.untilReady === true ? "ready" : "until_port")
    return yield* ports.watching(waiting)
  })

  /** The jobs of `ids` (each once, in the order given), failing with every id that is not a job. */
  const lookupAll = (ids: ReadonlyArray<string>) =>
    Effect.suspend((): Effect.Effect<Array<Job>, JobsNotFound | InvalidArgument> => {
      const unique = Array.from(new Set(ids))
      if (unique.length === 0) return Effect.fail(new InvalidArgument({ argument: "ids", reason: "name at least one job." }))
      const jobs = unique.flatMap((id) => table.get(id) ?? [])
      return jobs.length === unique.length ?
        Effect.succeed(jobs) :
        Effect.fail(new JobsNotFound({ jobIds: unique.filter((id) => table.get(id) === undefined) }))
    })

  const watchAll = Effect.fnUntraced(function*(ids: ReadonlyArray<string>, options: WaitManyOptions) {
    const jobs = yield* lookupAll(ids)
    const watched = jobs.map((job) => ({ job, from: options.fromStart === true ? START_CURSOR : job.buffer.position }))
    const until = options.until === undefined ? undefined : yield* compileLinePattern("until", options.until)
    const timeout = yield* checkDuration("timeout", options.timeout ?? DEFAULT_WAIT)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    return [watched, { timeout, until, budget, raw: options.raw }] as const
  })

  const waitAny = Effect.fn("JobManager.waitAny")(function*(ids: ReadonlyArray<string>, options: WaitManyOptions = {}) {
    return yield* awaitAnyJob(...(yield* watchAll(ids, options)))
  })

  const waitAll = Effect.fn("JobManager.waitAll")(function*(ids: ReadonlyArray<string>, options: WaitManyOptions = {}) {
    return yield* awaitAllJobs(...(yield* watchAll(ids, options)))
  })

  const interact = Effect.fn("JobManager.interact")(function*(id: string, input: string, options: InteractOptions = {}) {
    const job = yield* table.lookup(id)
    const until = options.until === undefined ? undefined : yield* compileLinePattern("until", options.until)
    const timeout = yield* checkDuration("timeout", options.timeout ?? DEFAULT_INTERACT_TIMEOUT)
    // With `until` the caller said what ends the reply: a pause before it (a slow answer) does not.
    const idleInput = options.idle ?? (until === undefined ? DEFAULT_INTERACT_IDLE : undefined)
    const idle = idleInput === undefined ? undefined : yield* checkDuration("idle", idleInput)
    const budget = yield* checkMaxBytes(options.maxBytes, config.maxResultSize)
    if (job.status !== "running") return yield* new JobNotRunning({ jobId: id, status: job.status })
    // The reply is what arrives after this point: nothing read before the write belongs to it.
    const mark = job.buffer.position
    // One bound for the whole call: writing and waiting for the reply share it.
    const startedAt = yield* Clock.currentTimeMillis
    yield* writeInput(job, inputBytes(input, options), timeout)
    if (options.eof === true) yield* job.process.closeStdin
    const remaining = Duration.millis(Math.max(0, startedAt + Duration.toMillis(timeout) - (yield* Clock.currentTimeMillis)))
    return yield* awaitJob(job, mark, { timeout: remaining, until, idle, budget, raw: options.raw })
  })

  const kill = Effect.fn("JobManager.kill")(function*(id: string, options: { readonly signal?: string | undefined } = {}) {
    const job = table.get(id)
    const signal = yield* checkSignal(options.signal)
    if (job === undefined) return "not_found" as const
    if (job.status !== "running") return "already_terminated" as const
    if (signal !== undefined && signal !== "SIGKILL") {
      job.recordSignal(signal)
      yield* job.process.signal(signal, signalTarget(signal))
      yield* Effect.logInfo("job signalled").pipe(Effect.annotateLogs({ job: id, signal }))
      return "signalled" as const
    }
    const stopped = yield* (signal === "SIGKILL" ? killJob(job, "killed") : stopJob(job, "killed", config.killGrace))
    yield* Effect.logInfo("job killed").pipe(Effect.annotateLogs({ job: id }))
    return stopped ? "killed" as const : "already_terminated" as const
  })

  const awaitPortsFree = (jobPorts: JobPorts, options: { readonly timeout?: Duration.DurationInput | undefined } = {}) =>
    ports.awaitFree(
      jobPorts,
      options.timeout === undefined ? Duration.sum(config.killGrace, Duration.seconds(1)) : Duration.decode(options.timeout)
    ).pipe(Effect.withSpan("JobManager.awaitPortsFree"))

  const restart = Effect.fn("JobManager.restart")(function*(id: string) {
    const job = yield* table.lookup(id)
    if (job.processRunning || (yield* job.process.groupAlive)) {
      yield* stopJob(job, "killed", config.killGrace)
      // The old run must be gone before the new one starts: its shell, then its group.
      yield* job.process.exit.pipe(Effect.timeoutOption(Duration.sum(config.killGrace, Duration.seconds(1))))
      yield* awaitGone(job.process, RESTART_GONE_BOUND)
    }
    return yield* start(job.spec)
  })

  const manager: JobManagerService = {
    maxResultSize: config.maxResultSize,
    execute,
    list,
    status,
    output,
    transcript,
    tail,
    interact,
    kill,
    wait,
    waitAny,
    waitAll,
    awaitPortsFree,
    restart,
    events: hub.stream(true),
    lifecycleEvents: hub.stream(false),
    subscribe: hub.subscription(true),
    ownedBy: (owner) => ownedView(manager, table, hub, owner, true)
  }
  return manager
})
