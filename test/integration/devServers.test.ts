/**
 * Ports and restart policies through the library API, with real processes: a `PortsChanged` event when a
 * job starts and stops listening, `awaitPortsFree` after a kill, and shutdown stopping a restarted run.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type { JobEvent } from "../../src/domain/JobEvent.js"
import { JobManager } from "../../src/JobManager.js"
import { nodeScript } from "../support/agentHarness.js"
import { markedSleepScoped } from "../support/markedSleep.js"
import { expectEventuallyEffect } from "../support/polling.js"
import { liveJobs } from "../support/runtime.js"
import { tempDirScoped } from "../support/tempDir.js"

const server = nodeScript(
  `const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>console.log("port "+s.address().port));setInterval(()=>{},1000)`
)

/** The next `PortsChanged` event of `jobId`, within a bound. */
const nextPortsEvent = (events: Queue.Dequeue<JobEvent>, jobId: string) =>
  Effect.gen(function*() {
    while (true) {
      const event = yield* Queue.take(events)
      if (event._tag === "PortsChanged" && event.jobId === jobId) return event
    }
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("no PortsChanged event within 10 s") }))

describe("ports with real processes", () => {
  it.scopedLive("a job that starts and stops listening is an event each time, with its ports", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const events = yield* jobs.subscribe
      const job = yield* jobs.execute({ command: server })
      const listening = yield* nextPortsEvent(events, job.id)
      assert.strictEqual(listening.ports.tcp.length, 1)
      const port = listening.ports.tcp[0]!
      assert.strictEqual(port.address, `127.0.0.1:${port.port}`)
      assert.deepStrictEqual((yield* jobs.status(job.id)).ports, listening.ports)

      assert.strictEqual(yield* jobs.kill(job.id), "killed")
      assert.isTrue(yield* jobs.awaitPortsFree(listening.ports))
      const stopped = yield* nextPortsEvent(events, job.id)
      assert.deepStrictEqual(stopped.ports, { tcp: [], udp: [] })
    }).pipe(Effect.provide(liveJobs())))

  it.scopedLive("a port something else still holds is not reported free", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: server, ready: { port: "any" } })
      const ready = yield* jobs.wait(job.id, { untilReady: true, fromStart: true, timeout: "10 seconds" })
      assert.strictEqual(ready.reason, "listening")
      const ports = ready.ports!
      assert.isFalse(yield* jobs.awaitPortsFree(ports!, { timeout: "100 millis" }))
      yield* jobs.kill(job.id)
      assert.isTrue(yield* jobs.awaitPortsFree(ports!))
    }).pipe(Effect.provide(liveJobs())))
})

describe("restart policies with real processes", () => {
  it.scopedLive("closing the runtime stops a restarted run's group, a trap on SIGTERM included", () =>
    Effect.gen(function*() {
      const { live, sleep } = yield* markedSleepScoped
      const dir = yield* tempDirScoped("restart-shutdown-")
      yield* Effect.scoped(Effect.gen(function*() {
        const jobs = yield* JobManager
        // The first run fails; the second ignores SIGTERM in the shell and sleeps in a child.
        const job = yield* jobs.execute({
          command: `if [ -e ran ]; then trap '' TERM; ${sleep} 60 & wait; else touch ran; exit 1; fi`,
          cwd: dir,
          restart: "on-failure"
        })
        // The new run's process can be up a moment before the job records the restart: wait for both.
        yield* expectEventuallyEffect(
          "the second run is up and recorded",
          Effect.map(jobs.status(job.id), (details) => live() > 0 && details.restarts === 1),
          10_000
        )
      }).pipe(Effect.provide(liveJobs())))
      // The layer's scope has closed: the run's group got SIGTERM, then SIGKILL after the grace.
      assert.strictEqual(live(), 0)
    }))
})
