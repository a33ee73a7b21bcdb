import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { describe, expect, it } from "vitest"
import type { JobEvent } from "../../src/domain/JobEvent.js"
import { JobConfig } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"

const run = <A, E>(effect: Effect.Effect<A, E, JobManager>) =>
  Effect.runPromise(effect.pipe(Effect.provide(JobManager.layerNode(JobConfig.make({ killGrace: 1 })))))

describe("JobManager.ownedBy", () => {
  it("starts jobs for its owner and sees, reads, waits on and kills only those", async () => {
    await run(Effect.gen(function*() {
      const jobs = yield* JobManager
      const alice = jobs.ownedBy("alice")
      const bob = jobs.ownedBy("bob")
      const mine = yield* alice.execute({ command: "echo from alice; sleep 30" })
      const theirs = yield* bob.execute({ command: "echo from bob" })
      const unowned = yield* jobs.execute({ command: "echo nobody" })

      expect((yield* alice.list).map((j) => j.id)).toEqual([mine.id])
      expect((yield* bob.list).map((j) => j.id)).toEqual([theirs.id])
      expect((yield* jobs.list).map((j) => j.id).sort()).toEqual([mine.id, theirs.id, unowned.id].sort())

      const notFound = (effect: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.exit(effect), (exit) => Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("JobNotFound"))
      expect(yield* notFound(bob.status(mine.id))).toBe(true)
      expect(yield* notFound(bob.output(mine.id))).toBe(true)
      expect(yield* notFound(bob.transcript(mine.id))).toBe(true)
      expect(yield* notFound(bob.tail(mine.id, 5))).toBe(true)
      expect(yield* notFound(bob.wait(mine.id, { timeout: "10 millis" }))).toBe(true)
      expect(yield* notFound(bob.interact(mine.id, "x"))).toBe(true)
      expect(yield* notFound(bob.restart(mine.id))).toBe(true)
      expect(yield* notFound(alice.status(unowned.id))).toBe(true)
      expect(yield* bob.kill(mine.id)).toBe("not_found")
      // A bad signal is still reported as such, whoever owns the job.
      expect(yield* Effect.flip(bob.kill(mine.id, { signal: "SIGNOPE" }))).toMatchObject({ _tag: "InvalidArgument" })

      expect((yield* alice.status(mine.id)).status).toBe("running")
      expect(yield* alice.kill(mine.id)).toBe("killed")
      // The view an owner's view gives for someone else sees nothing and starts nothing.
      const escaped = alice.ownedBy("bob")
      expect(yield* escaped.list).toEqual([])
      expect(yield* Effect.flip(escaped.execute({ command: "echo no" }))).toMatchObject({ _tag: "InvalidArgument" })
      expect(alice.ownedBy("alice")).toBe(alice)

      const restarted = yield* alice.restart(mine.id)
      expect((yield* alice.list).map((j) => j.id)).toContain(restarted.id)
      expect((yield* bob.list).map((j) => j.id)).not.toContain(restarted.id)
      yield* alice.kill(restarted.id)
    }))
  })

  it("publishes to an owner's view only the events of its own jobs", async () => {
    await run(Effect.gen(function*() {
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
      expect(seen.filter((e) => e.jobId === other.id)).toEqual([])
      expect(seen.every((e) => e.jobId === mine.id)).toBe(true)
    }).pipe(Effect.scoped))
  })
})
