/**
 * Guarantee 2: a job ends when its shell ends, even while a background child keeps the output pipe open;
 * its output stays readable, and what the shell left behind is swept (SIGTERM, grace, SIGKILL).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { JobManager } from "../../../src/JobManager.js"
import type { MarkedSleep } from "../../support/markedSleep.js"
import { expectEventuallyEffect } from "../../support/polling.js"
import { finished, withMarkedSleep } from "../../support/runtime.js"

const GRACE_MS = 1500

const withShell = <A, E>(test: (sleep: MarkedSleep) => Effect.Effect<A, E, JobManager>) =>
  withMarkedSleep({ killGrace: GRACE_MS, cleanupInterval: "60 seconds" }, test)

/** Runs the command to its end; the job's id and how it ended. */
const ended = Effect.fnUntraced(function*(command: string) {
  const job = yield* (yield* JobManager).execute({ command })
  return { id: job.id, result: yield* finished(job.id, "30 seconds") }
})

describe("a job ends when its shell ends", () => {
  it.scopedLive("completes within a second while a background child holds the pipe, and sweeps the child", () =>
    withShell((sleep) =>
      Effect.gen(function*() {
        const jobs = yield* JobManager
        const { id, result } = yield* ended(`${sleep.sleep} 60 & echo hi`)
        assert.strictEqual(result.reason, "exited")
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.exitCode, 0)
        assert.strictEqual(result.stdout, "hi\n")
        const status = yield* jobs.status(id)
        // Measured on the job's own clock: from before the spawn to the decision that it ended.
        assert.isBelow(status.durationMs, 1000)
        assert.strictEqual((yield* jobs.output(id)).stdout, "hi\n")
        yield* expectEventuallyEffect("the background child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
        // Sweeping what the shell left does not change how the job ended.
        assert.strictEqual((yield* jobs.status(id)).status, "completed")
      })
    ))

  it.scopedLive("sweeps a leftover child that ignores SIGTERM with SIGKILL after the grace period", () =>
    withShell((sleep) =>
      Effect.gen(function*() {
        // The shell ignores SIGTERM before it forks, so the child ignores it from its first instruction.
        const { id, result } = yield* ended(`trap '' TERM; ${sleep.sleep} 60 & echo hi; exit 3`)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.exitCode, 3)
        assert.strictEqual(result.stdout, "hi\n")
        // SIGTERM alone does not end it: it is still there after the job ended, until the grace period passes.
        assert.strictEqual(sleep.live(), 1)
        yield* expectEventuallyEffect("the leftover child is gone", () => sleep.live() === 0, GRACE_MS + 4000)
        assert.strictEqual((yield* (yield* JobManager).status(id)).status, "failed")
      })
    ))

  it.scopedLive("sweeps a child that left the group with setsid -f after the shell exited", () =>
    withShell((sleep) =>
      Effect.gen(function*() {
        const { result } = yield* ended(`setsid -f ${sleep.sleep} 60; echo started`)
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.stdout, "started\n")
        yield* expectEventuallyEffect("the escaped child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
      })
    ))

  it.scopedLive("sweeps a child that leaves the group with setsid while the sweep after the shell's exit is under way", () =>
    withShell((sleep) =>
      Effect.gen(function*() {
        // The subshell outlives the shell and ignores the sweep's SIGTERM; it leaves the group only later, so the
        // process is linked to the job by its marker alone (its parent, setsid -f, is gone at once).
        const { result } = yield* ended(`(trap '' TERM; sleep 0.3; setsid -f ${sleep.sleep} 60) & echo started`)
        assert.strictEqual(result.stdout, "started\n")
        yield* expectEventuallyEffect("the escaped child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
      })
    ))
})
