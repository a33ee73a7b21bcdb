/**
 * The live `Spawner`: runs `<shell> -c <command>` with `node:child_process` in its own process group
 * (detached), reads its output pipes with plain callbacks into the runtime's sink (see
 * `internal/node/outputPipes`), and writes its stdin with backpressure. The process, its pipes and its
 * finalizers belong to the job's scope. Processes that leave the group (`setsid`) are found and signalled
 * with it (see `internal/jobTree`), and a `ProcessGuard`, when provided, is kept informed.
 *
 * @since 0.1.0
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import { type ChildProcess, spawn as spawnChild } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import type { SpawnFailed } from "./domain/errors.js"
import { JOB_MARKER_VARIABLE } from "./internal/jobTree.js"
import { OutputPipes } from "./internal/node/outputPipes.js"
import { makeProcessTracker } from "./internal/node/ProcessTracker.js"
import { checkCommandSize, shellNotExecutable, spawnDefect, spawnError } from "./internal/node/spawnFailures.js"
import { makeStdinPipe } from "./internal/node/stdinPipe.js"
import { ticksSinceBoot } from "./internal/processTable.js"
import { withLimits } from "./policy/ResourceLimits.js"
import { ProcessGuard } from "./ProcessGuard.js"
import type { ExitInfo, JobProcess, OutputSink, SpawnRequest } from "./Spawner.js"
import { Spawner } from "./Spawner.js"

/** After SIGKILL the shell is gone at once unless stuck in the kernel: closing the scope waits this long at most. */
const AFTER_KILL_BOUND = Duration.seconds(2)

/**
 * Starts the child; fails with the spawn error Node reports (a missing shell, a directory without permission),
 * or with the defect it throws (E2BIG for a huge environment).
 */
const start = (request: SpawnRequest, line: { readonly shell: string; readonly command: string }, token: string) =>
  Effect.async<ChildProcess, SpawnFailed>((resume) => {
    let child: ChildProcess
    try {
      child = spawnChild(line.shell, ["-c", line.command], {
        cwd: request.cwd,
        env: { ...request.env, [JOB_MARKER_VARIABLE]: token },
        stdio: [request.stdin === "null" ? "ignore" : "pipe", "pipe", "pipe"],
        // Its own process group (and session), so that the job's processes can be signalled together.
        detached: true
      })
    } catch (defect) {
      return resume(Effect.fail(spawnDefect(request, defect)))
    }
    if (child.pid !== undefined) return resume(Effect.succeed(child))
    // Node reports a failed spawn (ENOENT, EACCES, ...) on the next tick, with no pid.
    child.once("error", (error) => resume(Effect.fail(spawnError(request, error))))
  })

/** Output as the `stdout` and `stderr` streams of the `JobProcess` contract, for a consumer that does not use `drain`. */
const outputStreams = Effect.fnUntraced(function*(attach: (sink: OutputSink) => void, onEnd: (listener: () => void) => void) {
  const stdout = yield* Mailbox.make<Uint8Array>()
  const stderr = yield* Mailbox.make<Uint8Array>()
  let attached = false
  const open = Effect.sync(() => {
    if (attached) return
    attached = true
    attach((stream, chunk) => (stream === "stdout" ? stdout : stderr).unsafeOffer(Uint8Array.prototype.slice.call(chunk)))
    onEnd(() => {
      stdout.unsafeDone(Exit.void)
      stderr.unsafeDone(Exit.void)
    })
  })
  return {
    stdout: Stream.unwrap(Effect.as(open, Mailbox.toStream(stdout))),
    stderr: Stream.unwrap(Effect.as(open, Mailbox.toStream(stderr)))
  }
})

const make = Effect.fnUntraced(function*(guard: ProcessGuard["Type"]) {
  const tracker = yield* makeProcessTracker(guard)

  /**
   * The command as run: limits are set by a small sh that then execs the shell, so the shell is checked
   * first (a missing one is still a spawn failure, not a job that exits 127).
   */
  const commandLine = Effect.fnUntraced(function*(request: SpawnRequest) {
    const limited = request.limits === undefined ? undefined : withLimits(request.shell, request.command, request.limits)
    if (limited === undefined) return { shell: request.shell, command: request.command }
    if (limited.shell === request.shell) return limited
    yield* Effect.tryPromise(() => fs.access(request.shell, fs.constants.X_OK)).pipe(Effect.mapError(() => shellNotExecutable(request)))
    return limited
  })

  const spawn = Effect.fn("Spawner.spawn")(function*(request: SpawnRequest) {
    yield* checkCommandSize(request)
    const token = randomBytes(12).toString("hex")
    const startedAfter = ticksSinceBoot() - 1
    const line = yield* commandLine(request)
    const child = yield* start(request, line, token)
    const pid = child.pid!
    const exited = yield* Deferred.make<ExitInfo>()
    child.on("exit", (code, signal) => Deferred.unsafeDone(exited, Exit.succeed({ code, signal })))
    // Errors after the start (a failed kill) change nothing: the exit still comes.
    child.on("error", () => {})
    const pipes = new OutputPipes(child.stdout!, child.stderr!)
    const stdin = makeStdinPipe(request.stdin, child.stdin)
    const shellRunning = Effect.map(Deferred.isDone(exited), (done) => !done)
    const processes = yield* tracker.follow({ pgid: pid, token, startedAfter, shellRunning })

    // The shell killed and reaped, the pipes closed (a background child may hold them open), the guard told.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        stdin.shutdown("the job has ended")
        if (yield* shellRunning) {
          yield* processes.signal("SIGKILL")
          yield* Deferred.await(exited).pipe(Effect.interruptible, Effect.timeoutOption(AFTER_KILL_BOUND))
        }
        yield* processes.release
        pipes.close()
      })
    )

    const ended = yield* Deferred.make<void>()
    pipes.onEnd(() => Deferred.unsafeDone(ended, Exit.void))
    const drain = (sink: OutputSink) =>
      Effect.suspend(() => {
        pipes.attach(sink)
        return Deferred.await(ended).pipe(Effect.zipRight(Effect.suspend(() => pipes.defect === undefined ? Effect.void : Effect.die(pipes.defect))))
      })
    const streams = yield* outputStreams((sink) => pipes.attach(sink), (listener) => pipes.onEnd(listener))

    return {
      pid,
      stdout: streams.stdout,
      stderr: streams.stderr,
      drain,
      write: stdin.write,
      closeStdin: stdin.close,
      stdinOpen: stdin.isOpen,
      exit: Deferred.await(exited),
      signal: processes.signal,
      groupAlive: processes.alive,
      processIds: processes.pids
    } satisfies JobProcess
  })

  return Spawner.of({ spawn })
})

/**
 * The live `Spawner`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Spawner> = Layer.scoped(Spawner, make(ProcessGuard.none))

/**
 * The live `Spawner`, for code written when it ran on `@effect/platform`'s `CommandExecutor`: the executor is
 * no longer used (processes are started with `node:child_process` directly).
 *
 * @deprecated Use `layer`.
 * @since 0.1.0
 * @category layers
 */
export const layerExecutor: Layer.Layer<Spawner, never, CommandExecutor.CommandExecutor> = layer

/**
 * The live `Spawner` reporting every job's processes to a `ProcessGuard` (such as `NodeProcessGuard.layer`),
 * which stops them if the server dies without stopping them.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerGuarded: Layer.Layer<Spawner, never, ProcessGuard> = Layer.scoped(
  Spawner,
  Effect.flatMap(ProcessGuard, (guard) => make(guard))
)
