/**
 * The live `ProcessGuard`: a small Node process (`guard/main.js`) started detached next to the server, with a
 * pipe to its stdin. The server writes one line per job event; if the pipe closes without the goodbye that a
 * clean shutdown sends, the guard stops every process group it was told about and exits.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { Socket } from "node:net"
import { fileURLToPath } from "node:url"
import { encodeGuardMessage, type GuardMessage } from "./guard/protocol.js"
import { ProcessGuard } from "./ProcessGuard.js"

/**
 * How to start the guard.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Time between SIGTERM and SIGKILL when the guard stops the jobs; use the server's kill grace. */
  readonly killGrace: Duration.DurationInput
  /** The guard script; default: `guard/main.js` next to this module. */
  readonly script?: string | undefined
}

/** The goodbye must reach the guard before the server exits; it is one short line on an idle pipe. */
const GOODBYE_BOUND_MS = 1000

/**
 * The guard script shipped next to this module (`dist/guard/main.js`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultScript: string = fileURLToPath(new URL("./guard/main.js", import.meta.url))

/** Messages are a few dozen bytes; this much unread means the guard is stuck. */
const MAX_UNREAD_BYTES = 1024 * 1024
/**
 * A release waits this long at most, to go with the next line: each write wakes the guard, which costs the
 * server a context switch, and a job that ends is released about as often as one starts. A late release is
 * harmless: the guard only signals groups with live members.
 */
const RELEASE_DELAY_MS = 200

const startGuard = (script: string, graceMs: number): ChildProcess =>
  spawn(process.execPath, [script, String(process.pid), String(graceMs)], {
    // Its own session: a signal to the server's process group or terminal does not reach it.
    detached: true,
    cwd: "/",
    // No stdout: the server's stdout is the protocol channel, and the client must see it close with the server.
    stdio: ["pipe", "ignore", "inherit"]
  })

const unrefAll = (child: ChildProcess): void => {
  // The guard must never keep the server alive.
  child.unref()
  if (child.stdin instanceof Socket) child.stdin.unref()
}

/**
 * The live guard. If the guard cannot start, the layer logs a warning and provides a guard that does
 * nothing: the server still runs, without protection against its own SIGKILL.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ProcessGuard> =>
  Layer.scoped(
    ProcessGuard,
    Effect.gen(function*() {
      const script = options.script ?? defaultScript
      if (!fs.existsSync(script)) {
        yield* Effect.logWarning(`the guard script ${script} is missing; jobs will not be stopped if the server is killed`)
        return ProcessGuard.none
      }
      const graceMs = Duration.toMillis(Duration.decode(options.killGrace))
      const runtime = yield* Effect.runtime<never>()
      const child = yield* Effect.acquireRelease(
        Effect.sync(() => startGuard(script, graceMs)),
        (child) => sayGoodbye(child)
      )
      unrefAll(child)
      let usable = true
      const lost = (reason: string) => {
        if (!usable) return
        usable = false
        Runtime.runFork(runtime)(
          Effect.logWarning(`the guard process stopped (${reason}); jobs will not be stopped if the server is killed`)
        )
      }
      child.on("error", (error) => lost(error.message))
      child.stdin?.on("error", (error) => lost(error.message))
      child.on("exit", (code, signal) => lost(signal === null ? `exit code ${code}` : signal))
      yield* Effect.addFinalizer(() => Effect.sync(() => {
        usable = false
      }))

      /** Releases not written yet. */
      let releases = ""
      let releaseTimer: ReturnType<typeof setTimeout> | undefined
      const write = (lines: string) => {
        const stdin = child.stdin
        if (releaseTimer !== undefined) clearTimeout(releaseTimer)
        releaseTimer = undefined
        const text = releases + lines
        releases = ""
        if (!usable || stdin === null || text === "") return
        // A guard that stops reading must not make the server buffer without end: give it up instead.
        if (stdin.writableLength > MAX_UNREAD_BYTES) return lost("it stopped reading its messages")
        stdin.write(text)
      }
      const tell = (message: GuardMessage) =>
        Effect.sync(() => {
          if (!usable) return
          // Groups and processes are written at once: the server may die at any moment.
          if (message._tag !== "release") return write(encodeGuardMessage(message))
          releases += encodeGuardMessage(message)
          releaseTimer ??= setTimeout(() => write(""), RELEASE_DELAY_MS).unref()
        })
      // Pending releases are written before the goodbye (finalizers run in reverse order of addition).
      yield* Effect.addFinalizer(() => Effect.sync(() => write("")))

      return ProcessGuard.of({
        watchGroup: (group) => tell({ _tag: "group", ...group }),
        watchProcess: (pgid, process) => tell({ _tag: "process", pgid, ...process }),
        release: (pgid) => tell({ _tag: "release", pgid })
      })
    })
  )

/** Tells the guard that the jobs are stopped, so that it exits without signalling anything. */
const sayGoodbye = (child: ChildProcess): Effect.Effect<void> =>
  // Bounded by its own timer: a finalizer cannot rely on interruption (Effect.timeout) to stop waiting.
  Effect.async<void>((resume) => {
    const stdin = child.stdin
    if (stdin === null || stdin.destroyed || child.exitCode !== null) return resume(Effect.void)
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.void)
    }
    const timer = setTimeout(finish, GOODBYE_BOUND_MS)
    stdin.once("error", finish)
    stdin.end(encodeGuardMessage({ _tag: "bye" }), finish)
  })
