/**
 * The live `Spawner`: runs `<shell> -c <command>` through `@effect/platform`'s `Command` in its own process
 * group (the executor spawns detached), with stdin fed from a bounded queue so that a process that does not
 * read its input pushes back instead of filling memory. Processes that leave the group (`setsid`) are found
 * and signalled with it (see `internal/jobTree`), and a `ProcessGuard`, when provided, is kept informed.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Duration from "effect/Duration"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import { SpawnFailed } from "./domain/errors.js"
import { JOB_MARKER_VARIABLE, JobTree, MarkerCache } from "./internal/jobTree.js"
import {
  listProcesses,
  pidsSince,
  type ProcessEntry,
  procAvailable,
  ticksSinceBoot
} from "./internal/processTable.js"
import { withLimits } from "./policy/ResourceLimits.js"
import { ProcessGuard } from "./ProcessGuard.js"
import type { ExitInfo, JobProcess, SignalName, SignalTarget, SpawnRequest } from "./Spawner.js"
import { Spawner, StdinUnavailable } from "./Spawner.js"

/** One argument may hold at most this many bytes on Linux (MAX_ARG_STRLEN); longer ones fail with E2BIG. */
const MAX_ARGUMENT_BYTES = 128 * 1024 - 1

/** Ends the input stream when taken from the queue. */
const END_OF_INPUT = new Uint8Array(0)
/**
 * Written after every chunk: the platform's writer waits for `drain` between items of one batch but not
 * after the last, so a trailing empty item makes every real chunk respect backpressure.
 */
const FLUSH_MARK = new Uint8Array(0)

const signalOf = (error: PlatformError): string | null => {
  const match = /signal: (SIG[A-Z0-9]+)/.exec(error.message)
  return match === null ? null : match[1]!
}

const isTooBig = (defect: unknown): boolean =>
  typeof defect === "object" && defect !== null && "code" in defect && defect.code === "E2BIG"

const describeSpawnError = (request: SpawnRequest, error: PlatformError): string => {
  if (error._tag === "SystemError" && error.method === "access") {
    return `the working directory ${JSON.stringify(request.cwd)} does not exist or is not accessible. Pass an existing cwd.`
  }
  if (error._tag === "SystemError" && error.reason === "NotFound") {
    return `the shell ${JSON.stringify(request.shell)} was not found. Set MCP_BG_SHELL to an existing shell such as /bin/sh.`
  }
  if (error._tag === "SystemError" && error.reason === "PermissionDenied") {
    return `permission denied running ${JSON.stringify(request.shell)} in ${JSON.stringify(request.cwd)}. Check that the shell is executable and the directory is accessible.`
  }
  return `${error.message}. Check the shell (MCP_BG_SHELL) and the working directory.`
}

/**
 * While jobs run, the process table is read this often to record processes that leave a job's group before
 * their parent exits and the link to them is lost. One read serves every job.
 */
const TRACK_INTERVAL = Duration.seconds(1)
/** Far fewer than `pid_max` pids are handed out in this time, so the pids since a shell's are its job's candidates. */
const RECENT_PIDS_WINDOW_MS = 5_000

const make = Effect.fnUntraced(function*(guard: Context.Tag.Service<ProcessGuard>) {
  const executor = yield* CommandExecutor.CommandExecutor
  /** Jobs whose processes may still be alive. */
  const trees = new Set<JobTree>()
  const markers = new MarkerCache()
  const tracking = yield* Effect.makeLatch(false)

  const reportEscaped = (tree: JobTree, found: ReadonlyArray<ProcessEntry>) =>
    Effect.forEach(found, (entry) => guard.watchProcess(tree.pgid, entry), { discard: true })

  yield* Effect.gen(function*() {
    yield* tracking.await
    yield* Effect.sleep(TRACK_INTERVAL)
    if (trees.size === 0) {
      yield* tracking.close
      // A job may have started while the latch closed.
      if (trees.size > 0) yield* tracking.open
      return
    }
    const table = listProcesses()
    markers.prune(table)
    for (const tree of trees) yield* reportEscaped(tree, tree.track(table))
  }).pipe(Effect.forever, Effect.when(() => procAvailable), Effect.forkScoped)

  const spawn = Effect.fn("Spawner.spawn")(function*(request: SpawnRequest) {
    const jobScope = yield* Effect.scope
    if (Buffer.byteLength(request.command) > MAX_ARGUMENT_BYTES) {
      return yield* new SpawnFailed({
        command: request.command,
        reason: `the command is ${Buffer.byteLength(request.command)} bytes; the system takes at most 128 KiB in one argument. Write a long script to a file and run the file.`
      })
    }
    const input = yield* Queue.bounded<Uint8Array>(4)
    let stdinReason: string | undefined = request.stdin === "null" ? "it was started with stdin set to null" : undefined
    const markStdinClosed = (reason: string) =>
      Effect.sync(() => {
        stdinReason ??= reason
      }).pipe(Effect.zipRight(Queue.shutdown(input)))

    const stdin: Stream.Stream<Uint8Array, PlatformError> = request.stdin === "null"
      ? Stream.empty
      : Stream.fromQueue(input).pipe(
        Stream.takeWhile((chunk) => chunk !== END_OF_INPUT),
        Stream.mapConcat((chunk) => [chunk, FLUSH_MARK]),
        Stream.ensuring(markStdinClosed("the process closed its stdin or has exited"))
      )

    const token = randomBytes(12).toString("hex")
    const marker = `${JOB_MARKER_VARIABLE}=${token}`
    const startedAfter = ticksSinceBoot() - 1
    // Limits are set by a small sh that then execs the shell: check the shell first, so that a missing one
    // is still a spawn failure, not a job that exits 127.
    const limited = request.limits === undefined ? undefined : withLimits(request.shell, request.command, request.limits)
    if (limited !== undefined && limited.shell !== request.shell) {
      yield* Effect.tryPromise(() => fs.access(request.shell, fs.constants.X_OK)).pipe(
        Effect.mapError(() =>
          new SpawnFailed({
            command: request.command,
            reason: `the shell ${JSON.stringify(request.shell)} was not found or is not executable. Set MCP_BG_SHELL to an existing shell such as /bin/sh.`
          })
        )
      )
    }
    const command = Command.make(limited?.shell ?? request.shell, "-c", limited?.command ?? request.command).pipe(
      Command.workingDirectory(request.cwd),
      Command.env({ ...request.env, [JOB_MARKER_VARIABLE]: token }, { extendEnv: false }),
      Command.stdin(stdin)
    )
    const child = yield* executor.start(command).pipe(
      Effect.mapError((error) => new SpawnFailed({ command: request.command, reason: describeSpawnError(request, error) })),
      // Some spawn failures (E2BIG for a huge environment) are thrown, not reported.
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          new SpawnFailed({
            command: request.command,
            reason: isTooBig(defect) ?
              "the command and its environment together are larger than the system accepts (E2BIG). Pass fewer or smaller env values, or put large data in a file." :
              `${String(defect)}. Check the command and its environment.`
          })
        )
      )
    )
    const pid = child.pid as number
    const tree = new JobTree(pid, token, startedAfter)
    const shellRunning = child.isRunning.pipe(Effect.orElseSucceed(() => false))
    let released = false
    const release = Effect.suspend(() => {
      if (released) return Effect.void
      released = true
      trees.delete(tree)
      return guard.release(pid)
    })
    const spawnedAt = Date.now()
    /**
     * A fresh read of the processes that may be the job's: while the job is young, only the pids handed out
     * since its shell's; later the whole table. Never a shared older read: a process that just left the group
     * still shows its old group there.
     */
    const freshTable = () => (Date.now() - spawnedAt < RECENT_PIDS_WINDOW_MS ? listProcesses(pidsSince(pid)) : listProcesses())
    /** Records what left the group (by parent links and by marker), and tells the guard; `pending` as in `findMarked`. */
    const lookForEscaped = Effect.suspend(() => {
      if (!procAvailable) return Effect.succeed({ table: [] as ReadonlyArray<ProcessEntry>, pending: false })
      const table = freshTable()
      const marked = tree.findMarked(table, markers)
      const found = [...tree.track(table), ...marked.found]
      return reportEscaped(tree, found).pipe(Effect.as({ table, pending: marked.pending }))
    })
    trees.add(tree)
    yield* tracking.open
    yield* guard.watchGroup({ pgid: pid, marker, startedAfter })

    // Runs before the executor's own finalizer (which would wait forever on a process that ignores SIGTERM).
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* markStdinClosed("the job has ended")
        if (yield* shellRunning) {
          const { table } = yield* lookForEscaped
          tree.signal("SIGKILL", table)
        }
        yield* release
      })
    )

    const signal = (name: SignalName, target: SignalTarget = "group") =>
      Effect.flatMap(lookForEscaped, ({ table }) => Effect.sync(() => tree.signal(name, table, target)))

    /**
     * Whether any process of the job is alive. "None" is only ever concluded from a fresh look for processes
     * that left the group: one may leave (setsid) at any moment, mid-sweep included, and once its parent is
     * gone only its marker links it to the job.
     */
    const alive = Effect.gen(function*() {
      // Concluded once: with no process left, none can start in the job any more.
      if (released) return false
      if (yield* shellRunning) return true
      if (tree.groupAlive() || tree.escapedAlive()) return true
      const { pending } = yield* lookForEscaped
      if (pending || tree.escapedAlive()) return true
      yield* release
      return false
    })

    const exit: Effect.Effect<ExitInfo> = child.exitCode.pipe(
      Effect.map((code): ExitInfo => ({ code, signal: null })),
      Effect.catchAll((error) => Effect.succeed<ExitInfo>({ code: null, signal: signalOf(error) }))
    )

    const jobProcess: JobProcess = {
      pid,
      stdout: child.stdout.pipe(Stream.catchAll(() => Stream.empty)),
      stderr: child.stderr.pipe(Stream.catchAll(() => Stream.empty)),
      write: (chunk) =>
        chunk.length === 0
          ? Effect.void
          : Effect.suspend(() =>
            stdinReason !== undefined
              ? Effect.fail(new StdinUnavailable({ reason: stdinReason }))
              : Queue.offer(input, chunk).pipe(
                Effect.asVoid,
                Effect.onInterrupt(() => Effect.void),
                Effect.catchAllCause(() => Effect.fail(new StdinUnavailable({ reason: stdinReason ?? "stdin is closed" })))
              )
          ),
      // End-of-file goes after the input already queued; with the queue full (a process not reading), it is
      // queued in the background, so closing never waits on the process and is never lost.
      closeStdin: Effect.suspend(() => {
        if (stdinReason !== undefined) return Effect.void
        stdinReason = "its stdin was closed"
        return Queue.unsafeOffer(input, END_OF_INPUT) ?
          Effect.void :
          Queue.offer(input, END_OF_INPUT).pipe(Effect.ignore, Effect.forkIn(jobScope), Effect.asVoid)
      }),
      stdinOpen: Effect.sync(() => stdinReason === undefined),
      exit,
      signal,
      groupAlive: alive
    }
    return jobProcess
  })

  return Spawner.of({ spawn })
})

/**
 * The live `Spawner`, needing a `CommandExecutor` (from `NodeContext`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerExecutor: Layer.Layer<Spawner, never, CommandExecutor.CommandExecutor> = Layer.scoped(Spawner, make(ProcessGuard.none))

/**
 * The live `Spawner` with Node's platform services included.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Spawner> = layerExecutor.pipe(Layer.provide(NodeContext.layer))

/**
 * The live `Spawner` reporting every job's processes to a `ProcessGuard` (such as `NodeProcessGuard.layer`),
 * which stops them if the server dies without stopping them; Node's platform services included.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerGuarded: Layer.Layer<Spawner, never, ProcessGuard> = Layer.scoped(
  Spawner,
  Effect.flatMap(ProcessGuard, (guard) => make(guard))
).pipe(Layer.provide(NodeContext.layer))
