/**
 * The live `Spawner`: runs `<shell> -c <command>` through `@effect/platform`'s `Command` in its own process
 * group (the executor spawns detached), with stdin fed from a bounded queue so that a process that does not
 * read its input pushes back instead of filling memory.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { SpawnFailed } from "./domain/errors.js"
import { liveGroupMembers, procAvailable } from "./internal/processTable.js"
import type { ExitInfo, JobProcess, SignalName, SpawnRequest } from "./Spawner.js"
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

/** Signals the whole group; a group that is already gone (ESRCH) is not an error. */
const signalGroup = (pgid: number, signal: SignalName): void => {
  Either.try(() => process.kill(-pgid, signal))
}

/** Signals the group's processes other than the shell (its leader); the shell itself when it is alone. */
const signalPrograms = (pgid: number, signal: SignalName): void => {
  const programs = procAvailable ? liveGroupMembers(pgid).filter((member) => member.pid !== pgid) : []
  if (programs.length === 0) return signalGroup(pgid, signal)
  for (const program of programs) Either.try(() => process.kill(program.pid, signal))
}

const groupAlive = (pgid: number): boolean => {
  // kill(-pgid, 0) also succeeds while only zombies remain (an init that does not reap), so confirm in /proc.
  const exists = Either.isRight(Either.try(() => process.kill(-pgid, 0)))
  return exists && (!procAvailable || liveGroupMembers(pgid).length > 0)
}

const make = Effect.gen(function*() {
  const executor = yield* CommandExecutor.CommandExecutor

  const spawn = Effect.fn("Spawner.spawn")(function*(request: SpawnRequest) {
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

    const command = Command.make(request.shell, "-c", request.command).pipe(
      Command.workingDirectory(request.cwd),
      Command.env(request.env, { extendEnv: false }),
      Command.stdin(stdin)
    )
    const child = yield* executor.start(command).pipe(
      Effect.mapError((error) => new SpawnFailed({ command: request.command, reason: describeSpawnError(request, error) })),
      // Some spawn failures (E2BIG for a huge environment) are thrown, not reported.
      Effect.catchAllDefect((defect) =>
        Effect.fail(new SpawnFailed({ command: request.command, reason: `${String(defect)}. Check the command and its environment.` }))
      )
    )
    const pid = child.pid as number

    // Runs before the executor's own finalizer (which would wait forever on a process that ignores SIGTERM).
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* markStdinClosed("the job has ended")
        if (yield* child.isRunning.pipe(Effect.orElseSucceed(() => false))) signalGroup(pid, "SIGKILL")
      })
    )

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
      closeStdin: Effect.suspend(() =>
        stdinReason !== undefined
          ? Effect.void
          : Effect.sync(() => {
            stdinReason = "its stdin was closed"
          }).pipe(Effect.zipRight(Queue.offer(input, END_OF_INPUT)), Effect.asVoid)
      ),
      stdinOpen: Effect.sync(() => stdinReason === undefined),
      exit,
      signal: (signal, target = "group") =>
        Effect.sync(() => (target === "group" ? signalGroup(pid, signal) : signalPrograms(pid, signal))),
      groupAlive: Effect.sync(() => groupAlive(pid))
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
export const layerExecutor: Layer.Layer<Spawner, never, CommandExecutor.CommandExecutor> = Layer.effect(Spawner, make)

/**
 * The live `Spawner` with Node's platform services included.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Spawner> = layerExecutor.pipe(Layer.provide(NodeContext.layer))
