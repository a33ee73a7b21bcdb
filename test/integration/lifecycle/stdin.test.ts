/**
 * Guarantee 5: stdin is safe. Input a job never reads fails within its bound and says how much was taken;
 * input to a job whose stdin is closed, or that has ended, is a clear error and never an EPIPE crash; input
 * to `cat` comes back in order. (A job that exits in the middle of a write, over MCP: e2e/lifecycle/stdin.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { JobManager } from "../../../src/JobManager.js"
import { liveJobs, readAllOutput } from "../../support/runtime.js"

const TEN_MB = 10 * 1024 * 1024

const stdinJobs = liveJobs({ killGrace: "1 second", cleanupInterval: "60 seconds" })

describe("stdin", () => {
  it.live("fails within the bound, with the count accepted, when the job never reads 10 MB of input, and the runtime keeps answering", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "sleep 300" })
      const pending = yield* Effect.fork(Effect.either(jobs.interact(job.id, "x".repeat(TEN_MB), { timeout: "2 seconds" })))
      // While the write is stuck, other operations go on.
      const listed = yield* jobs.list
      const status = yield* jobs.status(job.id)
      assert.include(listed.map((summary) => summary.id), job.id)
      assert.strictEqual(status.status, "running")
      assert.isTrue(Option.isNone(yield* Fiber.poll(pending)), "the write is still pending")

      const result = yield* Fiber.join(pending)
      assert.isTrue(Either.isLeft(result))
      const error = Either.isLeft(result) ? result.left : undefined
      assert.strictEqual(error?._tag, "InputNotAccepted")
      if (error?._tag !== "InputNotAccepted") return
      assert.strictEqual(error.total, TEN_MB + 1)
      assert.isBelow(error.accepted, error.total)
      assert.include(error.message, "is not reading its stdin")
      // The job is unharmed.
      assert.strictEqual((yield* jobs.status(job.id)).status, "running")
      yield* jobs.kill(job.id)
    }).pipe(Effect.provide(stdinJobs)))

  it.live("reports a stdin the process closed as StdinClosed, not a crash", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "exec 0<&-; sleep 300" })
      const result = yield* Effect.either(jobs.interact(job.id, "x".repeat(TEN_MB), { timeout: "5 seconds" }))
      const error = Either.isLeft(result) ? result.left : undefined
      assert.strictEqual(error?._tag, "StdinClosed")
      assert.include(error?.message ?? "", "closed its stdin")
      const again = yield* Effect.either(jobs.interact(job.id, "hello"))
      assert.strictEqual(Either.isLeft(again) && again.left._tag, "StdinClosed")
      yield* jobs.kill(job.id)
    }).pipe(Effect.provide(stdinJobs)))

  it.live("reports input after end-of-file as StdinClosed", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "cat > /dev/null; sleep 300" })
      yield* jobs.interact(job.id, "last line", { eof: true, idle: "50 millis" })
      const result = yield* Effect.either(jobs.interact(job.id, "more"))
      assert.strictEqual(Either.isLeft(result) && result.left._tag, "StdinClosed")
      assert.include(Either.isLeft(result) ? result.left.message : "", "its stdin was closed")
      yield* jobs.kill(job.id)
    }).pipe(Effect.provide(stdinJobs)))

  it.live("reports input to an ended job, or one started without stdin, as a clear error", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const ended = yield* jobs.execute({ command: "true" })
      yield* jobs.wait(ended.id, { timeout: "30 seconds" })
      const toEnded = yield* Effect.either(jobs.interact(ended.id, "hello"))
      assert.strictEqual(Either.isLeft(toEnded) && toEnded.left._tag, "JobNotRunning")
      assert.include(Either.isLeft(toEnded) ? toEnded.left.message : "", "is not running")

      const noStdin = yield* jobs.execute({ command: "sleep 300", stdin: "null" })
      const toNull = yield* Effect.either(jobs.interact(noStdin.id, "hello"))
      assert.strictEqual(Either.isLeft(toNull) && toNull.left._tag, "StdinClosed")
      yield* jobs.kill(noStdin.id)
    }).pipe(Effect.provide(stdinJobs)))

  it.live("gives input to cat back in order", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "cat" })
      let expected = ""
      for (let i = 0; i < 100; i++) {
        const line = `line ${i} ${"y".repeat(i * 37)}`
        yield* jobs.interact(job.id, line, { idle: "10 millis" })
        expected += line + "\n"
      }
      const big = Array.from({ length: 20_000 }, (_, i) => `big ${i}`).join("\n")
      yield* jobs.interact(job.id, big, { eof: true, idle: "10 millis" })
      expected += big + "\n"
      const result = yield* jobs.wait(job.id, { timeout: "30 seconds" })
      assert.strictEqual(result.status, "completed")
      assert.strictEqual((yield* readAllOutput(job.id)).stdout, expected)
    }).pipe(Effect.provide(stdinJobs)))
})
