/**
 * Ports where they cannot be read: a spawner that does not report its processes (the scripted one) leaves a
 * job's ports unknown, shown as null, and a wait for a port says so at once instead of waiting in vain.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { JobManager } from "../../src/JobManager.js"
import { Script, TestSpawner } from "../../src/testing/index.js"

const withJobs = <A, E>(effect: Effect.Effect<A, E, JobManager>) =>
  effect.pipe(Effect.provide(TestSpawner.layerJobManager([Script.on("server", [Script.stdout("up\n"), Script.hang])])))

describe("unknown ports", () => {
  it.effect("are null in status and list, and a wait for a port is refused with what to do", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: "server" })
      assert.isNull((yield* jobs.status(job.id)).ports)
      assert.isNull((yield* jobs.list)[0]!.ports)
      const refused = yield* Effect.flip(jobs.wait(job.id, { untilPort: 3000, timeout: "1 hour" }))
      assert.strictEqual(refused._tag, "InvalidArgument")
      assert.include(refused.message, "until_port")
      assert.include(refused.message, "cannot be read here")
      // Waiting for a line still works.
      const matched = yield* jobs.wait(job.id, { until: "up", fromStart: true, timeout: "1 second" })
      assert.strictEqual(matched.reason, "matched")
    })))
})
