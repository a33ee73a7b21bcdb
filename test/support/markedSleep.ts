/**
 * `sleep` under a unique name, so that a test counts exactly its own processes by their command line.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { killMarked, processesWithMarker, uniqueMarker } from "./processes.js"

/** The `sleep` that `sh` would run: the first on PATH. */
const sleepBinary = (process.env["PATH"] ?? "/usr/bin:/bin").split(":").map((dir) => path.join(dir, "sleep")).find((file) => fs.existsSync(file)) ??
  "/bin/sleep"

/**
 * `sleep` is the path to run; every process whose command line holds `marker` (the sleeps, and the shells whose
 * command text names them) belongs to the test.
 */
export interface MarkedSleep {
  readonly marker: string
  readonly sleep: string
  /** Live processes of the test. */
  readonly live: () => number
  /** Live `sleep` processes of the test (shells excluded). */
  readonly sleepers: () => number
  /** Kills whatever is left and removes the link. */
  readonly dispose: () => void
}

export const markedSleep = (): MarkedSleep => {
  const marker = uniqueMarker()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-sleep-"))
  const sleep = path.join(dir, marker)
  fs.symlinkSync(sleepBinary, sleep)
  return {
    marker,
    sleep,
    live: () => processesWithMarker(marker).length,
    sleepers: () => processesWithMarker(marker).filter((p) => p.cmdline.startsWith(sleep)).length,
    dispose: () => {
      killMarked(marker)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A marked sleep disposed of when the scope closes. */
export const markedSleepScoped: Effect.Effect<MarkedSleep, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(markedSleep),
  (sleep) => Effect.sync(sleep.dispose)
)
