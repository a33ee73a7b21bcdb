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
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import { JOB_MARKER_VARIABLE } from "./internal/jobTree.js"
import { makeProcessTracker } from "./internal/node/ProcessTracker.js"
import { checkCommandSize, shellNotExecutable, spawnDefect, spawnError } from "./internal/node/spawnFailures.js"
import { makeStdinPipe } from "./internal/node/stdinPipe.js"
import { ticksSinceBoot } from "./internal/processTable.js"
import { withLimits } from "./policy/ResourceLimits.js"
import { ProcessGuard } from "./ProcessGuard.js"
import type { ExitInfo, JobProcess, SpawnRequest } from "./Spawner.js"
import { Spawner } from "./Spawner.js"

const signalOf = (error: PlatformError): string | null => {
  const match = /signal: (SIG[A-Z0-9]+)/.exec(error.message)
  return match === null ? null : match[1]!
}

const make = Effect.fnUntraced(function*(guard: ProcessGuard["Type"]) {
  const executor = yield* CommandExecutor.CommandExecutor
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
    const stdin = yield* makeStdinPipe(request.stdin)
    const token = randomBytes(12).toString("hex")
    const startedAfter = ticksSinceBoot() - 1
    const line = yield* commandLine(request)
    const command = Command.make(line.shell, "-c", line.command).pipe(
      Command.workingDirectory(request.cwd),
      Command.env({ ...request.env, [JOB_MARKER_VARIABLE]: token }, { extendEnv: false }),
      Command.stdin(stdin.stream)
    )
    const child = yield* executor.start(command).pipe(
      Effect.mapError((error) => spawnError(request, error)),
      Effect.catchAllDefect((defect) => Effect.fail(spawnDefect(request, defect)))
    )
    const pid = child.pid as number
    const shellRunning = child.isRunning.pipe(Effect.orElseSucceed(() => false))
    const processes = yield* tracker.follow({ pgid: pid, token, startedAfter, shellRunning })

    // Runs before the executor's own finalizer (which would wait forever on a process that ignores SIGTERM).
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* stdin.shutdown("the job has ended")
        if (yield* shellRunning) yield* processes.signal("SIGKILL")
        yield* processes.release
      })
    )

    return {
      pid,
      stdout: child.stdout.pipe(Stream.catchAll(() => Stream.empty)),
      stderr: child.stderr.pipe(Stream.catchAll(() => Stream.empty)),
      write: stdin.write,
      closeStdin: stdin.close,
      stdinOpen: stdin.isOpen,
      exit: child.exitCode.pipe(
        Effect.map((code): ExitInfo => ({ code, signal: null })),
        Effect.catchAll((error) => Effect.succeed<ExitInfo>({ code: null, signal: signalOf(error) }))
      ),
      signal: processes.signal,
      groupAlive: processes.alive,
      processIds: processes.pids
    } satisfies JobProcess
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
