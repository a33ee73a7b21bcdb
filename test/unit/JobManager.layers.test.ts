/**
 * The layers whose optional services are explicit: `JobManager.layerWithPolicy` runs jobs under the
 * application's `CommandPolicy`, never the one its configuration describes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { CommandRejected } from "../../src/domain/errors.js"
import { JobConfig } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { CommandPolicy } from "../../src/policy/CommandPolicy.js"
import { Script, TestSpawner } from "../../src/testing/index.js"

const scripts = [Script.on(/^echo /, [Script.stdout("ok\n"), Script.exit(0)])]

/** The application's own rule: nothing that mentions "secret" runs. */
const ownPolicy = Layer.succeed(CommandPolicy, {
  active: true,
  check: (command) =>
    command.includes("secret") ?
      Effect.fail(new CommandRejected({ command, reason: "the application refuses it.", rule: "denied" })) :
      Effect.void,
  checkEnv: () => Effect.void
})

describe("JobManager.layerWithPolicy", () => {
  it.effect("checks commands with the provided policy, not the lists of the configuration", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      // The configuration's deny list would refuse this one; the application's policy does not.
      const allowed = yield* jobs.execute({ command: "echo denied-by-config" })
      assert.strictEqual(allowed.status, "running")
      const refused = yield* Effect.flip(jobs.execute({ command: "echo secret" }))
      assert.strictEqual(refused._tag, "CommandRejected")
      assert.strictEqual(refused.message, "Command rejected: the application refuses it.")
    }).pipe(
      Effect.scoped,
      Effect.provide(
        JobManager.layerWithPolicy(JobConfig.make({ deniedCommands: ["^echo denied"] })).pipe(
          Layer.provide(TestSpawner.layer(scripts)),
          Layer.provide(ownPolicy)
        )
      )
    ))

  it.effect("without it, JobManager.layer runs the configuration's own policy", () =>
    Effect.gen(function*() {
      const jobs = yield* JobManager
      const refused = yield* Effect.flip(jobs.execute({ command: "echo denied-by-config" }))
      assert.strictEqual(refused._tag, "CommandRejected")
    }).pipe(
      Effect.scoped,
      Effect.provide(JobManager.layer(JobConfig.make({ deniedCommands: ["^echo denied"] })).pipe(Layer.provide(TestSpawner.layer(scripts))))
    ))
})
