/**
 * Guarantee 1: `kill` reaches every process the job started — background children, deep trees, processes
 * that ignore SIGTERM, and processes that left the job's process group with `setsid` — and answers at once.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { JobManager } from "../../../src/JobManager.js"
import type { MarkedSleep } from "../../support/markedSleep.js"
import { expectEventuallyEffect } from "../../support/polling.js"
import { pidAlive } from "../../support/processes.js"
import { withMarkedSleep } from "../../support/runtime.js"

const GRACE_MS = 1500
/** Killed processes must be gone within the grace period plus this (generous under load; the guarantee is 1 s). */
const MARGIN_MS = 4000

const withTree = <A, E>(test: (sleep: MarkedSleep) => Effect.Effect<A, E, JobManager>) =>
  withMarkedSleep({ killGrace: GRACE_MS, cleanupInterval: "60 seconds" }, test)

/** Starts the job, waits until `sleepers` marked sleeps run, kills it, and checks the answer and status at once. */
const startAndKill = Effect.fnUntraced(function*(sleep: MarkedSleep, command: string, sleepers: number) {
  const jobs = yield* JobManager
  const job = yield* jobs.execute({ command })
  yield* expectEventuallyEffect(`${sleepers} sleeps run`, () => sleep.sleepers() === sleepers)
  const killed = yield* jobs.kill(job.id)
  const aliveRightAfterKill = sleep.sleepers()
  const status = yield* jobs.status(job.id)
  assert.strictEqual(killed, "killed")
  assert.strictEqual(status.status, "killed")
  return { job, aliveRightAfterKill }
})

/** No process of the job is left within the grace period and the margin. */
const noneLeft = (sleep: MarkedSleep, what = "no process of the job is left") =>
  expectEventuallyEffect(what, () => sleep.live() === 0, GRACE_MS + MARGIN_MS)

describe("kill reaches the whole process tree", () => {
  it.scopedLive("stops background children", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        yield* startAndKill(sleep, `${sleep.sleep} 300 & ${sleep.sleep} 301 & ${sleep.sleep} 302`, 3)
        yield* noneLeft(sleep)
      })
    ))

  it.scopedLive("stops a three-level tree", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        const s = sleep.sleep
        yield* startAndKill(sleep, `sh -c "sh -c '${s} 300 & ${s} 301' & ${s} 302" & ${s} 303`, 4)
        yield* noneLeft(sleep)
      })
    ))

  it.scopedLive("answers at once and SIGKILLs a child that ignores SIGTERM after the grace period", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        const { job, aliveRightAfterKill } = yield* startAndKill(sleep, `trap '' TERM; ${sleep.sleep} 300`, 1)
        // The call did not wait for the grace period: the child that ignores SIGTERM was still there when it answered.
        assert.strictEqual(aliveRightAfterKill, 1)
        yield* noneLeft(sleep, "the child is gone")
        assert.strictEqual((yield* (yield* JobManager).status(job.id)).status, "killed")
      })
    ))

  it.scopedLive("SIGKILLs a grandchild that ignores SIGTERM when its parent exits at once", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        // The outer shell dies on SIGTERM; the inner shell and its sleep ignore it.
        const { job } = yield* startAndKill(sleep, `sh -c "trap '' TERM; ${sleep.sleep} 300" & wait`, 1)
        yield* expectEventuallyEffect("the job's shell is gone", () => !pidAlive(job.pid), GRACE_MS + MARGIN_MS)
        yield* noneLeft(sleep, "the grandchild is gone")
        const status = yield* (yield* JobManager).status(job.id)
        assert.strictEqual(status.status, "killed")
      })
    ))

  it.scopedLive("stops a process that left the group with setsid while the shell runs", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        yield* startAndKill(sleep, `setsid ${sleep.sleep} 300 & ${sleep.sleep} 301`, 2)
        yield* noneLeft(sleep, "the escaped process is gone too")
      })
    ))

  it.scopedLive("stops a process that left the group and cleared its environment, through its parent link", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        yield* startAndKill(sleep, `env -i setsid ${sleep.sleep} 300 & ${sleep.sleep} 301`, 2)
        yield* noneLeft(sleep, "the escaped process is gone too")
      })
    ))

  it.scopedLive("stops a process that left with setsid -f (orphaned at once), through the job's marker variable", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        yield* startAndKill(sleep, `setsid -f ${sleep.sleep} 300; ${sleep.sleep} 301`, 2)
        yield* noneLeft(sleep, "the orphaned process is gone too")
      })
    ))

  it.scopedLive("stops the whole tree when the time limit passes", () =>
    withTree((sleep) =>
      Effect.gen(function*() {
        const jobs = yield* JobManager
        const job = yield* jobs.execute({ command: `${sleep.sleep} 300 & setsid ${sleep.sleep} 301 & ${sleep.sleep} 302`, timeout: "1 second" })
        yield* expectEventuallyEffect("the job timed out", Effect.map(jobs.status(job.id), (status) => status.status === "timed_out"))
        yield* noneLeft(sleep)
      })
    ))
})
