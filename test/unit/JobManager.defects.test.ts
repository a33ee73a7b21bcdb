/**
 * Defects found by reading the runtime, each pinned by a test that failed before its fix: the job limit under
 * racing executions, a spawner that dies, waiters at shutdown, and the idle timer of a wait.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { JobConfig } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { Spawner } from "../../src/Spawner.js"
import { Script, TestSpawner, VirtualTime } from "../../src/testing/index.js"

const scripts = [
  Script.on("server", [Script.stdout("listening\n"), Script.hang]),
  Script.on("stubborn", [Script.stdout("up\n"), Script.hang], { signals: { SIGTERM: "ignore" } })
]

describe("the job limit", () => {
  it.effect("holds when executions race, even if every fiber yields at every step", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const attempts = yield* Effect.all(
        Array.from({ length: 12 }, () => Effect.either(jobs.execute({ command: "server" }))),
        { concurrency: "unbounded" }
      ).pipe(Effect.withMaxOpsBeforeYield(16))
      assert.strictEqual(attempts.filter(Either.isRight).length, 2)
      assert.strictEqual((yield* jobs.list).length, 2)
    }).pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, { maxJobs: 2 }))))
})

describe("a spawner that dies", () => {
  it.effect("leaves no scope behind: what it acquired for the job is released at once, and the slot is free", () =>
    Effect.gen(function*() {
      let acquired = 0
      let released = 0
      const dying = Layer.succeed(Spawner, {
        spawn: () =>
          Effect.acquireRelease(Effect.sync(() => acquired++), () => Effect.sync(() => released++)).pipe(
            Effect.zipRight(Effect.die(new Error("the spawner broke")))
          )
      })
      const exit = yield* Effect.gen(function*() {
        const jobs = yield* JobManager
        const first = yield* Effect.exit(jobs.execute({ command: "anything" }))
        assert.isTrue(Exit.isFailure(first))
        // Released before the manager closes, not at shutdown.
        assert.deepStrictEqual([acquired, released], [1, 1])
        const second = yield* Effect.exit(jobs.execute({ command: "anything" }))
        // The failed start held no slot: the next attempt reaches the spawner again instead of the limit.
        assert.isTrue(Exit.isFailure(second) && Exit.isFailure(second) && !String(second.cause).includes("JobLimitReached"))
        assert.deepStrictEqual([acquired, released], [2, 2])
        assert.deepStrictEqual(yield* jobs.list, [])
      }).pipe(Effect.scoped, Effect.provide(JobManager.layer(JobConfig.make({ maxJobs: 1 }))), Effect.provide(dying), Effect.exit)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
    }))
})

describe("shutdown", () => {
  it.effect("wakes a wait in progress at once, with the job killed, before the grace period has passed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        TestSpawner.layerJobManager(scripts, { killGrace: "5 seconds" }),
        scope
      )
      const jobs = Context.get(context, JobManager)
      const job = yield* jobs.execute({ command: "stubborn" })
      const waiting = yield* Effect.fork(jobs.wait(job.id, { timeout: "1 hour" }))
      yield* VirtualTime.settle()
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* VirtualTime.settle()
      // The stubborn job ignores SIGTERM: its process is still there until the grace period passes, but the
      // waiter is told now.
      const result = yield* Fiber.poll(waiting)
      assert.isTrue(Option.isSome(result), "the wait returned before the grace period passed")
      const waited = Option.getOrThrow(result)
      assert.isTrue(Exit.isSuccess(waited))
      if (Exit.isSuccess(waited)) assert.strictEqual(waited.value.status, "killed")
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(closing)
    }))
})

describe("a wait with an idle window", () => {
  it.effect("sleeps between wake-ups once the window has passed, instead of spinning until the waiter looks", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "deaf" })
      const clock = yield* Effect.clock
      let reads = 0
      // The test clock, counting how often the time is read.
      const counting: Clock.Clock = Object.create(clock, {
        currentTimeMillis: {
          get: () =>
            Effect.suspend(() => {
              reads++
              return clock.currentTimeMillis
            })
        }
      })
      const replying = yield* Effect.fork(
        jobs.interact(job.id, "hello", { idle: "500 millis", timeout: "5 seconds" }).pipe(Effect.withClock(counting))
      )
      yield* VirtualTime.settle()
      yield* TestClock.adjust("600 millis")
      const result = yield* Fiber.join(replying)
      assert.strictEqual(result.reason, "idle")
      // A handful of clock reads per wake-up; a spinning timer reads it hundreds of times.
      assert.isBelow(reads, 50)
    }).pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager([Script.on("deaf", [Script.hang])]))))
})
