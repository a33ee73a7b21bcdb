/**
 * `NodeSpawner.layerGuarded`: the live spawner tells the `ProcessGuard` in its layer about every job's group and
 * every process that leaves it, and releases the job once none of its processes is left.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { JobConfig } from "../../../src/JobConfig.js"
import { JobManager } from "../../../src/JobManager.js"
import * as NodeSpawner from "../../../src/NodeSpawner.js"
import { ProcessGuard } from "../../../src/ProcessGuard.js"
import { markedSleepScoped } from "../../support/markedSleep.js"
import { expectEventuallyEffect } from "../../support/polling.js"
import { finished, quietLogs } from "../../support/runtime.js"

describe("NodeSpawner.layerGuarded", () => {
  it.live("reports the group, the process that left it with setsid, and the release once all are gone", () => {
    const reports: Array<string> = []
    const recordingGuard = Layer.succeed(ProcessGuard, {
      watchGroup: ({ marker, pgid }) => Effect.sync(() => reports.push(`group ${pgid} ${marker.split("=")[0]}`)),
      watchProcess: (pgid) => Effect.sync(() => reports.push(`escaped ${pgid}`)),
      release: (pgid) => Effect.sync(() => reports.push(`release ${pgid}`))
    })
    return Effect.gen(function*() {
      const sleep = yield* markedSleepScoped
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: `setsid -f ${sleep.sleep} 30; echo started` })
      assert.strictEqual((yield* finished(job.id)).stdout, "started\n")
      assert.strictEqual(reports[0], `group ${job.pid} MCP_BG_JOB_TOKEN`)
      // The escaped sleep is found and reported, then swept; only then is the job released.
      yield* expectEventuallyEffect("the escaped sleep is reported", () => reports.includes(`escaped ${job.pid}`))
      yield* expectEventuallyEffect("the escaped sleep is swept and the job released", () => sleep.live() === 0 && reports.includes(`release ${job.pid}`))
      assert.isBelow(reports.indexOf(`escaped ${job.pid}`), reports.indexOf(`release ${job.pid}`))
    }).pipe(
      Effect.scoped,
      Effect.provide(
        JobManager.layer(JobConfig.make({ killGrace: "1 second" })).pipe(
          Layer.provide(NodeSpawner.layerGuarded),
          Layer.provide(recordingGuard),
          Layer.provideMerge(quietLogs)
        )
      )
    )
  })
})
