/**
 * An owner's view of the runtime (`JobManager.ownedBy`): it starts jobs for its owner and sees, reads, waits on,
 * kills and hears of only those.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { JobEvent } from "../../src/domain/JobEvent.js"
import { JobManager } from "../../src/JobManager.js"
import { liveJobs } from "../support/runtime.js"

/** SIGKILL 1 ms after SIGTERM: nothing here waits for a job to stop. */
const ownerJobs = liveJobs({ killGrace: "1 millis" })

describe("JobManager.ownedBy", () => {
  it.live("starts jobs for its owner and sees, reads, waits on and kills only those", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const alice = jobs.ownedBy("alice")
      const bob = jobs.ownedBy("bob")
      const mine = yield* alice.execute({ command: "echo from alice; sleep 30" })
      const theirs = yield* bob.execute({ command: "echo from bob" })
      const unowned = yield* jobs.execute({ command: "echo nobody" })

      assert.deepStrictEqual((yield* alice.list).map((j) => j.id), [mine.id])
      assert.deepStrictEqual((yield* bob.list).map((j) => j.id), [theirs.id])
      assert.deepStrictEqual((yield* jobs.list).map((j) => j.id).sort(), [mine.id, theirs.id, unowned.id].sort())

      const notFound = (effect: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.exit(effect), (exit) => Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("JobNotFound"))
      assert.isTrue(yield* notFound(bob.status(mine.id)))
      assert.isTrue(yield* notFound(bob.output(mine.id)))
      assert.isTrue(yield* notFound(bob.transcript(mine.id)))
      assert.isTrue(yield* notFound(bob.tail(mine.id, 5)))
      assert.isTrue(yield* notFound(bob.wait(mine.id, { timeout: "10 millis" })))
      assert.isTrue(yield* notFound(bob.interact(mine.id, "x")))
      assert.isTrue(yield* notFound(bob.restart(mine.id)))
      assert.isTrue(yield* notFound(alice.status(unowned.id)))
      assert.strictEqual(yield* bob.kill(mine.id), "not_found")
      // A bad signal is still reported as such, whoever owns the job.
      assert.strictEqual((yield* Effect.flip(bob.kill(mine.id, { signal: "SIGNOPE" })))._tag, "InvalidArgument")

      assert.strictEqual((yield* alice.status(mine.id)).status, "running")
      assert.strictEqual(yield* alice.kill(mine.id), "killed")
      // The view an owner's view gives for someone else sees nothing and starts nothing.
      const escaped = alice.ownedBy("bob")
      assert.deepStrictEqual(yield* escaped.list, [])
      assert.strictEqual((yield* Effect.flip(escaped.execute({ command: "echo no" })))._tag, "InvalidArgument")
      assert.strictEqual(alice.ownedBy("alice"), alice)

      const restarted = yield* alice.restart(mine.id)
      assert.include((yield* alice.list).map((j) => j.id), restarted.id)
      assert.notInclude((yield* bob.list).map((j) => j.id), restarted.id)
      yield* alice.kill(restarted.id)
    }).pipe(Effect.provide(ownerJobs)))

  it.live("publishes to an owner's view only the events of its own jobs", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const alice = jobs.ownedBy("alice")
      const bob = jobs.ownedBy("bob")
      const seen: Array<JobEvent> = []
      yield* alice.events.pipe(Stream.runForEach((event) => Effect.sync(() => seen.push(event))), Effect.forkScoped)
      const mine = yield* alice.execute({ command: "while read x; do echo got $x; done" })
      // The subscription is live once a reply of Alice's job shows up in it.
      const live = Effect.suspend(() =>
        seen.some((e) => e._tag === "Output" && e.jobId === mine.id) ? Effect.void : Effect.fail("not yet")
      )
      yield* alice.interact(mine.id, "ping").pipe(Effect.zipRight(live), Effect.retry(Schedule.spaced("50 millis")), Effect.timeout("20 seconds"))

      const other = yield* bob.execute({ command: "echo bob" })
      yield* bob.wait(other.id, { timeout: "20 seconds" })
      yield* alice.kill(mine.id)
      yield* Effect.suspend(() => (seen.some((e) => e._tag === "Exited" && e.jobId === mine.id) ? Effect.void : Effect.fail("not yet"))).pipe(
        Effect.retry(Schedule.spaced("50 millis")),
        Effect.timeout("20 seconds")
      )
      assert.deepStrictEqual(seen.filter((e) => e.jobId === other.id), [])
      assert.isTrue(seen.every((e) => e.jobId === mine.id))
    }).pipe(Effect.scoped, Effect.provide(ownerJobs)))
})
