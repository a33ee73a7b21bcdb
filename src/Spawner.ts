/**
 * The `Spawner` service: starts one shell command as a process in its own process group and gives the
 * runtime what it needs to supervise it. The live layer runs real processes (`NodeSpawner`); the test layer
 * (`mcp-background-job/testing`) runs scripted ones on the virtual clock.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { SpawnFailed } from "./domain/errors.js"
import type { StdinMode } from "./domain/JobStatus.js"
import type { StreamName } from "./OutputBuffer.js"
import type { ResourceLimits } from "./policy/ResourceLimits.js"

/**
 * What to start: `<shell> -c <command>` in `cwd`, with exactly `env` as its environment.
 *
 * @since 0.1.0
 * @category models
 */
export interface SpawnRequest {
  readonly shell: string
  readonly command: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly stdin: StdinMode
  /** Limits to apply to the process before the command runs (`ulimit`); a spawner may not support them. */
  readonly limits?: ResourceLimits | undefined
}

/**
 * How the shell ended: an exit code, or the signal that ended it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExitInfo {
  readonly code: number | null
  readonly signal: string | null
}

/**
 * A signal name such as `SIGTERM`.
 *
 * @since 0.1.0
 * @category models
 */
export type SignalName = NodeJS.Signals

/**
 * Who gets a signal: the whole process group, or the programs the shell started (the group without the
 * shell itself, unless the shell runs nothing else). A shell that runs a program dies of most signals it
 * gets (SIGHUP, SIGUSR1, ...) while the program may handle them, and the job would end with the shell.
 *
 * @since 0.1.0
 * @category models
 */
export type SignalTarget = "group" | "programs"

/**
 * Input could not be written because stdin is closed; `reason` says why.
 *
 * @since 0.1.0
 * @category errors
 */
export class StdinUnavailable extends Data.TaggedError("StdinUnavailable")<{ readonly reason: string }> {}

/**
 * Receives output as it is read. The chunk may be a view of a buffer the spawner reuses: it is valid during
 * the call only, so a sink copies what it keeps, and it must not block.
 *
 * @since 0.1.0
 * @category models
 */
export type OutputSink = (stream: StreamName, chunk: Uint8Array) => void

/**
 * A started process. Both output streams must be drained (the runtime always does), or the process blocks
 * once its pipe fills.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobProcess {
  /** The shell's pid, which is also its process group id. */
  readonly pid: number
  readonly stdout: Stream.Stream<Uint8Array>
  readonly stderr: Stream.Stream<Uint8Array>
  /**
   * Where the spawner can, the cheaper way to drain both streams: every chunk of either is handed to `sink` as
   * it is read (chunks read before the call first), with no fiber or queue per chunk; the effect completes once
   * both streams have ended. The runtime uses it instead of `stdout` and `stderr` when present; use one or the
   * other, once.
   */
  readonly drain?: ((sink: OutputSink) => Effect.Effect<void>) | undefined
  /** Hands a chunk to the process's stdin; waits while the process is not reading (backpressure). */
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, StdinUnavailable>
  /** Sends end-of-file after the input already written. */
  readonly closeStdin: Effect.Effect<void>
  /** Whether stdin still accepts input. */
  readonly stdinOpen: Effect.Effect<boolean>
  /** Waits for the shell to exit. */
  readonly exit: Effect.Effect<ExitInfo>
  /**
   * Sends a signal to every process of the job: its process group, and (where the spawner can find them)
   * processes that left the group, e.g. with `setsid`; with target `programs`, to all of them but the shell.
   * Processes already gone are not an error.
   */
  readonly signal: (signal: SignalName, target?: SignalTarget) => Effect.Effect<void>
  /** Whether any process of the job is still alive, in its group or out of it (zombies do not count). */
  readonly groupAlive: Effect.Effect<boolean>
  /**
   * The pids of the job's live processes, in its group or out of it, as far as the spawner can tell; a spawner
   * without it leaves the job's ports unknown.
   */
  readonly processIds?: Effect.Effect<ReadonlyArray<number>> | undefined
}

/**
 * Starts processes. The process belongs to the scope: closing it stops the process if it still runs.
 *
 * @since 0.1.0
 * @category services
 */
export class Spawner extends Context.Tag("mcp-background-job/Spawner")<
  Spawner,
  {
    readonly spawn: (request: SpawnRequest) => Effect.Effect<JobProcess, SpawnFailed, Scope.Scope>
  }
>() {}
