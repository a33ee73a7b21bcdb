/**
 * Restart policies on scripted processes and the virtual clock: the back-off (1 s doubling to 60 s, reset
 * after a stable run), the limit, the line and event of each restart, the job's id and runs, and what ends
 * the policy (kill during a back-off, the time limit, a clean exit under on-failure).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { JobEvent } from "../../src/domain/JobEvent.js"
import { JobManager } from "../../src/JobManager.js"
import { Script, TestSpawner, VirtualTime } from "../../src/testing/index.js"

/** A command that fails `failures` times (1 s after it starts, exit 1), then stays up. */
const flaky = (failures: number) => {
  let runs = 0
  return Script.on("flaky", () =>
    ++runs <= failures ?
      [Script.stderr(`crash ${runs}\n`), Script.exit(1, { after: "1 second" })] :
      [Script.stdout("up\n"), Script.hang])
}

const config = { killGrace: "5 seconds", cleanupInterval: "5 minutes", jobTimeout: null } as const

const withScripts = <A, E>(scripts: ReadonlyArray<Script.Script>, effect: Effect.Effect<A, E, JobManager | TestSpawner | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, config)))

const spawned = Effect.map(Effect.flatMap(TestSpawner, (spawner) => spawner.processes), (processes) => processes.length)

const restartedEvents = (events: Queue.Dequeue<JobEvent>) =>
  Effect.map(Queue.takeAll(events), (all) => Chunk.toArray(all).filter((event) => event._tag === "Restarted"))

describe("restart policies", () => {
  it.effect("on-failure restarts a crashing server after 1 s, then 2 s, keeping its id, until it stays up", () =>
    withScripts([flaky(2)], Effect.gen(function*() {
      const jobs = yield* JobManager
      const events = yield* jobs.subscribe
      const job = yield* jobs.execute({ command: "flaky", restart: "on-failure" })

      // First run exits at 1 s; the second starts 1 s later.
      yield* VirtualTime.adjust("1999 millis")
      assert.strictEqual(yield* spawned, 1)
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      yield* VirtualTime.adjust("1 milli")
      assert.strictEqual(yield* spawned, 2)
      // Second run exits at 3 s; the third starts 2 s later.
      yield* VirtualTime.adjust("2999 millis")
      assert.strictEqual(yield* spawned, 2)
      yield* VirtualTime.adjust("1 milli")
      assert.strictEqual(yield* spawned, 3)
      yield* VirtualTime.adjust("10 minutes")
      assert.strictEqual(yield* spawned, 3)

      const details = yield* jobs.status(job.id)
      assert.strictEqual(details.id, job.id)
      assert.strictEqual(details.status, "running")
      assert.strictEqual(details.restartPolicy, "on-failure")
      assert.strictEqual(details.restarts, 2)
      assert.deepStrictEqual(details.runs.map((run) => [run.exitCode, run.startedAt.getTime(), run.endedAt.getTime()]), [
        [1, 0, 1000],
        [1, 2000, 3000]
      ])
      assert.strictEqual(details.pid, (yield* (yield* TestSpawner).process("flaky")).pid)
      const output = yield* jobs.output(job.id)
      assert.strictEqual(output.stdout, "up\n")
      assert.strictEqual(
        output.stderr,
        "crash 1\n[mcp-background-job] restarted after exit code 1 (1 of 5)\ncrash 2\n[mcp-background-job] restarted after exit code 1 (2 of 5)\n"
      )
      const restarted = yield* restartedEvents(events)
      assert.deepStrictEqual(restarted.map((event) => event._tag === "Restarted" && [event.jobId, event.attempt, event.exitCode]), [
        [job.id, 1, 1],
        [job.id, 2, 1]
      ])
    })))

  it.effect("a job that keeps crashing ends failed with its last exit code once max_restarts are used up", () =>
    withScripts([Script.on("crash", [Script.exit(3, { after: "1 second" })])], Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "crash", restart: "always", maxRestarts: 3 })
      const waiter = yield* Effect.fork(jobs.wait(job.id, { timeout: "1 hour" }))
      // Runs end at 1 s, 3 s (1 s back-off), 6 s (2 s), 11 s (4 s): three restarts, then the end.
      yield* VirtualTime.adjust("10999 millis")
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      yield* VirtualTime.adjust("1 milli")
      const ended = yield* jobs.status(job.id)
      assert.strictEqual(ended.status, "failed")
      assert.strictEqual(ended.exitCode, 3)
      assert.strictEqual(ended.restarts, 3)
      assert.strictEqual(ended.endedAt?.getTime(), 11_000)
      assert.strictEqual(yield* spawned, 4)
      const waited = yield* waiter.await.pipe(Effect.flatten)
      assert.strictEqual(waited.reason, "exited")
      yield* VirtualTime.adjust("1 minute")
      assert.strictEqual(yield* spawned, 4)
    })))

  it.effect("the back-off doubles up to 60 s and starts over after a run of 60 s", () =>
    withScripts([Script.on("crash", [Script.exit(1, { after: "1 second" })]), Script.on("stable", [Script.exit(1, { after: "61 seconds" })])], Effect.gen(function*() {
      const jobs = yield* JobManager
      const crash = yield* jobs.execute({ command: "crash", restart: "on-failure", maxRestarts: 10 })
      // Starts at 0, 2, 5, 10, 19, 36, 69, 130, 191 s: back-offs of 1, 2, 4, 8, 16, 32, 60, 60 s.
      const starts = [0, 2, 5, 10, 19, 36, 69, 130, 191]
      yield* VirtualTime.adjust("191 seconds")
      const runs = (yield* jobs.status(crash.id)).runs.map((run) => run.startedAt.getTime() / 1000)
      assert.deepStrictEqual([...runs, (yield* jobs.status(crash.id)).restarts], [...starts.slice(0, -1), 8])
      yield* jobs.kill(crash.id)

      const stable = yield* jobs.execute({ command: "stable", restart: "on-failure", maxRestarts: 1 })
      const startedAt = stable.startedAt.getTime()
      // Each run lasts 61 s: every restart is the first of a new count, after 1 s.
      yield* VirtualTime.adjust("200 seconds")
      const details = yield* jobs.status(stable.id)
      assert.strictEqual(details.status, "running")
      assert.deepStrictEqual(details.runs.map((run) => (run.startedAt.getTime() - startedAt) / 1000), [0, 62, 124])
      const output = yield* jobs.output(stable.id)
      assert.strictEqual(output.stderr.match(/\(1 of 1\)/g)?.length, 3)
    })))

  it.effect("kill during a back-off ends the policy: the job is killed and nothing starts again", () =>
    withScripts([flaky(5)], Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "flaky", restart: "on-failure" })
      yield* VirtualTime.adjust("1500 millis")
      assert.strictEqual(yield* jobs.kill(job.id), "killed")
      yield* VirtualTime.adjust("1 minute")
      const details = yield* jobs.status(job.id)
      assert.strictEqual(details.status, "killed")
      assert.strictEqual(details.restarts, 0)
      assert.strictEqual(yield* spawned, 1)
    })))

  it.effect("kill of a restarted run stops it and ends the policy", () =>
    withScripts([flaky(1)], Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "flaky", restart: "always" })
      yield* VirtualTime.adjust("3 seconds")
      assert.strictEqual((yield* jobs.status(job.id)).restarts, 1)
      assert.strictEqual(yield* jobs.kill(job.id), "killed")
      yield* VirtualTime.adjust("1 minute")
      const second = yield* (yield* TestSpawner).process("flaky")
      assert.deepStrictEqual(second.signals.map((signal) => signal.signal), ["SIGTERM"])
      assert.isDefined(second.exit)
      assert.strictEqual((yield* jobs.status(job.id)).status, "killed")
      assert.strictEqual(yield* spawned, 2)
    })))

  it.effect("on-failure ends on a clean exit; always restarts after it; the time limit covers every run", () =>
    withScripts([Script.on("once", [Script.exit(0, { after: "1 second" })])], Effect.gen(function*() {
      const jobs = yield* JobManager
      const clean = yield* jobs.execute({ command: "once", restart: "on-failure" })
      yield* VirtualTime.adjust("1 minute")
      assert.strictEqual((yield* jobs.status(clean.id)).status, "completed")
      assert.strictEqual((yield* jobs.status(clean.id)).restarts, 0)

      const always = yield* jobs.execute({ command: "once", restart: "always", timeout: "4 seconds" })
      // Runs 0–1 s and 2–3 s, back-off until 5 s: the 4-second limit falls in it.
      yield* VirtualTime.adjust("1 minute")
      const limited = yield* jobs.status(always.id)
      assert.strictEqual(limited.status, "timed_out")
      assert.strictEqual(limited.restarts, 1)
    })))

  it.effect("refuses a max_restarts out of range, or without a restart policy", () =>
    withScripts([Script.on("once", [Script.exit(0)])], Effect.gen(function*() {
      const jobs = yield* JobManager
      const refused = yield* Effect.flip(jobs.execute({ command: "once", restart: "always", maxRestarts: -1 }))
      assert.include(refused.message, "max_restarts")
      const alone = yield* Effect.flip(jobs.execute({ command: "once", maxRestarts: 3 }))
      assert.include(alone.message, "applies to a restart policy only")
    })))
})
