/**
 * Guarantee 7: a job that cannot start — a missing or non-executable shell, a missing directory, an argument
 * list the system refuses — is a clear error that holds no job slot and leaves no record. (A directory without
 * permission, tried as an unprivileged user, and the errors over MCP: e2e/lifecycle/spawnFailures.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import { JobManager } from "../../../src/JobManager.js"
import { liveJobs } from "../../support/runtime.js"
import { tempDirScoped } from "../../support/tempDir.js"

/** One job slot only: a failure that held its slot would turn the next attempt into a limit error. */
const oneSlot = (scratch: string, shell?: string) => liveJobs({ maxJobs: 1, workingDir: scratch, ...(shell === undefined ? {} : { shell }) })

/** Three attempts, each a SpawnFailed saying `text`, and no job listed afterwards. */
const expectSpawnFailures = Effect.fnUntraced(function*(text: RegExp) {
  const jobs = yield* JobManager
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = yield* Effect.either(jobs.execute({ command: "echo hi" }))
    assert.strictEqual(Either.isLeft(result) && result.left._tag, "SpawnFailed")
    assert.match(Either.isLeft(result) ? result.left.message : "", text)
  }
  assert.deepStrictEqual(yield* jobs.list, [])
})

/** The message of a refused `execute` ("" if it started). */
const refusal = (result: Either.Either<unknown, { readonly message: string }>) => (Either.isLeft(result) ? result.left.message : "")

describe("spawn failures", () => {
  it.scopedLive("reports a shell that does not exist, every time, with no slot held and no record", () =>
    Effect.gen(function*() {
      const scratch = yield* tempDirScoped("mbj-spawn-")
      yield* expectSpawnFailures(/the shell "\/nonexistent" was not found\. Set MCP_BG_SHELL/).pipe(Effect.provide(oneSlot(scratch, "/nonexistent")))
    }))

  it.scopedLive("reports a shell that is not executable (refused even to root)", () =>
    Effect.gen(function*() {
      const scratch = yield* tempDirScoped("mbj-spawn-")
      const shell = path.join(scratch, "not-executable")
      fs.writeFileSync(shell, "#!/bin/sh\n", { mode: 0o644 })
      yield* expectSpawnFailures(/permission denied running/).pipe(Effect.provide(oneSlot(scratch, shell)))
    }))

  it.scopedLive("reports a command longer than one argument may be, and an environment larger than the system takes", () =>
    Effect.gen(function*() {
      const scratch = yield* tempDirScoped("mbj-spawn-")
      yield* Effect.gen(function*() {
        const jobs = yield* JobManager
        const longCommand = yield* Effect.either(jobs.execute({ command: `echo ${"x".repeat(200 * 1024)}` }))
        assert.strictEqual(Either.isLeft(longCommand) && longCommand.left._tag, "SpawnFailed")
        assert.include(refusal(longCommand), "at most 128 KiB in one argument")

        // Each value fits in one argument; together they exceed the system's limit for arguments and environment.
        const env: Record<string, string> = {}
        for (let i = 0; i < 40; i++) env[`BIG_${i}`] = "y".repeat(100 * 1024)
        const hugeEnv = yield* Effect.either(jobs.execute({ command: "echo hi", env }))
        assert.strictEqual(Either.isLeft(hugeEnv) && hugeEnv.left._tag, "SpawnFailed")
        assert.include(refusal(hugeEnv), "larger than the system accepts (E2BIG)")

        assert.deepStrictEqual(yield* jobs.list, [])
        // The slot is free: the next job starts and runs.
        const next = yield* jobs.execute({ command: "echo next" })
        assert.strictEqual((yield* jobs.wait(next.id, { timeout: "30 seconds", fromStart: true })).stdout, "next\n")
      }).pipe(Effect.provide(oneSlot(scratch)))
    }))

  it.scopedLive("reports a working directory that is missing or not a directory", () =>
    Effect.gen(function*() {
      const scratch = yield* tempDirScoped("mbj-spawn-")
      yield* Effect.gen(function*() {
        const jobs = yield* JobManager
        const missing = yield* Effect.either(jobs.execute({ command: "pwd", cwd: "no-such-dir" }))
        assert.include(refusal(missing), "does not exist")
        fs.writeFileSync(path.join(scratch, "a-file"), "")
        const notDir = yield* Effect.either(jobs.execute({ command: "pwd", cwd: "a-file" }))
        assert.include(refusal(notDir), "is not a directory")
        assert.deepStrictEqual(yield* jobs.list, [])
      }).pipe(Effect.provide(oneSlot(scratch)))
    }))
})
