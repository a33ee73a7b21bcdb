/**
 * The `ProcessGuard` service: a watcher outside the server that stops the jobs' processes when the server
 * dies without stopping them itself (SIGKILL, a crash). The live `Spawner` reports to it, when one is
 * provided, every process group it starts, every process found outside a job's group, and every group that is
 * gone. The runtime does not need it; the `bin` provides the live one (`NodeProcessGuard`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * What the guard is told. Every call is cheap (a line on a pipe) and never fails: a guard that went away is
 * logged once, and the server goes on without it.
 *
 * @since 0.1.0
 * @category services
 */
export class ProcessGuard extends Context.Tag("mcp-background-job/ProcessGuard")<
  ProcessGuard,
  {
    /** A job's process group started; `marker` (`NAME=value`) is in the environment of its processes. */
    readonly watchGroup: (group: { readonly pgid: number; readonly marker: string; readonly startedAfter: number }) => Effect.Effect<void>
    /** A process of the job whose group is `pgid` left that group; `startTime` (clock ticks since boot) names it. */
    readonly watchProcess: (pgid: number, process: { readonly pid: number; readonly startTime: number }) => Effect.Effect<void>
    /** Everything of the job whose group is `pgid` is gone: the guard forgets it and must never signal it. */
    readonly release: (pgid: number) => Effect.Effect<void>
  }
>() {
  /**
   * A guard that does nothing.
   *
   * @since 0.1.0
   * @category constructors
   */
  static readonly none: Context.Tag.Service<ProcessGuard> = {
    watchGroup: () => Effect.void,
    watchProcess: () => Effect.void,
    release: () => Effect.void
  }

  /**
   * A guard that does nothing, as a layer.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly noop: Layer.Layer<ProcessGuard> = Layer.succeed(ProcessGuard, ProcessGuard.none)
}
