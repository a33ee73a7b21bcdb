/**
 * Waiting on several jobs at once (`waitAny`, `waitAll`), on scripted processes and the virtual clock: each
 * returns at the exact moment the first (or last) job is done or its bound passes, names the job it is
 * about, and treats another owner's job as one that does not exist.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { JobManager } from "../../src/JobManager.js"
import { Script, TestSpawner, VirtualTime } from "../../src/testing/index.js"

const scripts = [
  Script.on("fails-at-2s", [Script.stdout("compiling\n"), Script.stderr("error: boom\n", { after: "2 seconds" }), Script.exit(3)]),
  Script.on("passes-at-5s", [Script.stdout("ok\n", { after: "5 seconds" }), Script.exit(0)]),
  Script.on("ready-at-3s", [Script.stdout("booting\n"), Script.stdout("ready on :3000\n", { after: "3 seconds" }), Script.hang]),
  Script.on("server", [Script.stdout("listening\n"), Script.hang]),
  Script.on("quick", [Script.exit(0)])
]

const config = { killGrace: "1 second", cleanupInterval: "5 minutes" } as const

const withJobs = <A, E>(effect: Effect.Effect<A, E, JobManager | TestSpawner | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, config)))

const running = <A>(fiber: Fiber.Fiber<A, unknown>) => Effect.map(Fiber.poll(fiber), Option.isNone)

/** Starts each command and returns the ids, in order. */
const start = (...commands: ReadonlyArray<string>) =>
  Effect.flatMap(JobManager, (jobs) => Effect.forEach(commands, (command) => Effect.map(jobs.execute({ command }), (job) => job.id)))

describe("waitAny", () => {
  it.effect("returns when the first of three jobs ends, exactly then, with that job's fields", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [server, fails, passes] = yield* start("server", "fails-at-2s", "passes-at-5s")
      const waiting = yield* Effect.fork(jobs.waitAny([server!, fails!, passes!], { timeout: "1 minute" }))
      yield* VirtualTime.adjust("1999 millis")
      assert.isTrue(yield* running(waiting))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.id, fails)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.exitCode, 3)
      assert.strictEqual(result.reason, "exited")
      assert.strictEqual(result.stderr, "error: boom\n", "output since the call")
      assert.strictEqual((yield* jobs.status(passes!)).status, "running")
    })))

  it.effect("with until returns on the first matching line of any job, naming it", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const ids = yield* start("server", "ready-at-3s", "passes-at-5s")
      const waiting = yield* Effect.fork(jobs.waitAny(ids, { until: "ready|ok", timeout: "1 minute" }))
      yield* VirtualTime.adjust("2999 millis")
      assert.isTrue(yield* running(waiting))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.id, ids[1])
      assert.strictEqual(result.reason, "matched")
      assert.deepStrictEqual(result.matchedLine, Option.some("ready on :3000"))
      assert.strictEqual(result.status, "running")
    })))

  it.effect("at its timeout names the first job, with reason timeout", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const ids = yield* start("server", "passes-at-5s")
      const waiting = yield* Effect.fork(jobs.waitAny(ids, { timeout: "4 seconds" }))
      yield* VirtualTime.adjust("3999 millis")
      assert.isTrue(yield* running(waiting))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.id, ids[0])
      assert.strictEqual(result.reason, "timeout")
      assert.strictEqual(result.status, "running")
    })))

  it.effect("answers at once when a job has already ended, and counts an id given twice once", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [server, quick] = yield* start("server", "quick")
      yield* jobs.wait(quick!, { timeout: "1 second" })
      const result = yield* jobs.waitAny([server!, quick!, server!], { timeout: "1 minute" })
      assert.strictEqual(result.id, quick)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.reason, "exited")
    })))
})

describe("waitAll", () => {
  it.effect("returns when the last job ends, with an entry per job and the last one's fields", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [passes, fails] = yield* start("passes-at-5s", "fails-at-2s")
      const waiting = yield* Effect.fork(jobs.waitAll([passes!, fails!], { timeout: "1 minute" }))
      yield* VirtualTime.adjust("4999 millis")
      assert.isTrue(yield* running(waiting), "one job ended at 2 s, the other runs until 5 s")
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.reason, "exited")
      assert.strictEqual(result.id, passes)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.stdout, "ok\n")
      assert.deepStrictEqual(result.jobs, [
        { id: passes!, status: "completed", exitCode: 0, reason: "exited" },
        { id: fails!, status: "failed", exitCode: 3, reason: "exited" }
      ])
    })))

  it.effect("with until counts a job done when it matches or ends", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [ready, fails] = yield* start("ready-at-3s", "fails-at-2s")
      const waiting = yield* Effect.fork(jobs.waitAll([ready!, fails!], { until: "^ready", timeout: "1 minute" }))
      yield* VirtualTime.adjust("2999 millis")
      assert.isTrue(yield* running(waiting))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.reason, "exited", "every job is done")
      assert.strictEqual(result.id, ready)
      assert.deepStrictEqual(result.matchedLine, Option.some("ready on :3000"))
      assert.deepStrictEqual(result.jobs.map((job) => [job.id, job.reason]), [[ready, "matched"], [fails, "exited"]])
    })))

  it.effect("at its timeout reports which jobs are done and names the first one that is not", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [fails, server, passes] = yield* start("fails-at-2s", "server", "passes-at-5s")
      const waiting = yield* Effect.fork(jobs.waitAll([fails!, server!, passes!], { timeout: "10 seconds" }))
      yield* VirtualTime.adjust("9999 millis")
      assert.isTrue(yield* running(waiting))
      yield* VirtualTime.adjust("1 milli")
      const result = yield* Fiber.join(waiting)
      assert.strictEqual(result.reason, "timeout")
      assert.strictEqual(result.id, server)
      assert.strictEqual(result.status, "running")
      assert.deepStrictEqual(result.jobs.map((job) => [job.status, job.reason]), [
        ["failed", "exited"],
        ["running", "timeout"],
        ["completed", "exited"]
      ])
    })))
})

describe("naming jobs", () => {
  it.effect("fails naming every id that is not a job, and wants at least one id", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const [server] = yield* start("server")
      const missing = yield* Effect.flip(jobs.waitAll([server!, "no-such-job", "nor-this"]))
      assert.strictEqual(missing._tag, "JobsNotFound")
      assert.match(missing.message, /^Jobs no-such-job, nor-this not found\. Call list/)
      const one = yield* Effect.flip(jobs.waitAny(["no-such-job"]))
      assert.match(one.message, /^Job no-such-job not found\./)
      const none = yield* Effect.flip(jobs.waitAny([]))
      assert.strictEqual(none._tag, "InvalidArgument")
    })))

  it.effect("an owner's view treats another owner's job as one that does not exist", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const alice = jobs.ownedBy("alice")
      const bob = jobs.ownedBy("bob")
      const hers = yield* alice.execute({ command: "fails-at-2s" })
      const his = yield* bob.execute({ command: "server" })
      const refused = yield* Effect.flip(bob.waitAny([his.id, hers.id], { timeout: "1 minute" }))
      assert.strictEqual(refused._tag, "JobsNotFound")
      if (refused._tag === "JobsNotFound") assert.deepStrictEqual(refused.jobIds, [hers.id])
      const waiting = yield* Effect.fork(alice.waitAll([hers.id], { timeout: "1 minute" }))
      yield* VirtualTime.adjust("2 seconds")
      assert.strictEqual((yield* Fiber.join(waiting)).status, "failed")
    })))
})
