/**
 * Resource subscriptions against a job runtime on scripted processes and virtual time: a subscription to a
 * job that is gone is refused, and one whose job goes without its Removed event reaching the adapter (removed
 * between the check and the add) is dropped by the next periodic check instead of being looked up forever.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { McpError } from "@modelcontextprotocol/sdk/types.js"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { JobManager } from "../../../src/JobManager.js"
import { Script, TestSpawner, VirtualTime } from "../../../src/testing/index.js"
import { clientOn } from "../../support/mcpClient.js"

const scripts = [Script.on("quick", [Script.stdout("done\n"), Script.exit(0)])]

const subscribe = (client: Client, uri: string) =>
  Effect.either(Effect.tryPromise({ try: () => client.subscribeResource({ uri }), catch: (error) => error }))

describe("resource subscriptions", () => {
  it.effect("refuse a job that does not exist with -32002 and keep nothing", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      let lookups = 0
      const client = yield* clientOn({ ...jobs, status: (id) => Effect.suspend(() => (lookups++, jobs.status(id))) })
      const refused = yield* subscribe(client, "job://0f0e0d0c-0000-4000-8000-000000000000/output")
      if (Either.isRight(refused) || !(refused.left instanceof McpError)) return assert.fail(`expected an McpError, got ${String(refused)}`)
      assert.strictEqual(refused.left.code, -32002)
      assert.match(refused.left.message, /not found/)
      const afterRefusal = lookups
      yield* VirtualTime.adjust("2 seconds")
      assert.strictEqual(lookups, afterRefusal)
    }).pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts))))

  it.effect("drop a subscription whose job was removed without the adapter seeing the Removed event", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      let lookups = 0
      // No lifecycle events reach the adapter: as if the job went between the existence check and the add.
      const client = yield* clientOn({
        ...jobs,
        lifecycleEvents: Stream.never,
        status: (id) => Effect.suspend(() => (lookups++, jobs.status(id)))
      })
      const job = yield* jobs.execute({ command: "quick" })
      yield* jobs.wait(job.id, { timeout: "1 second" })
      const subscribed = yield* subscribe(client, `job://${job.id}/output`)
      assert.isTrue(Either.isRight(subscribed), String(subscribed))
      // Checked while the job exists...
      const before = lookups
      yield* VirtualTime.adjust("500 millis")
      assert.isAbove(lookups, before)
      // ...then the job is removed after the cleanup interval, and the next check drops the subscription.
      yield* VirtualTime.adjust("2 seconds")
      assert.deepStrictEqual(yield* jobs.list, [])
      const afterRemoval = lookups
      yield* VirtualTime.adjust("2 seconds")
      assert.strictEqual(lookups, afterRemoval)
    }).pipe(Effect.scoped, Effect.provide(TestSpawner.layerJobManager(scripts, { cleanupInterval: 1 }))))
})
