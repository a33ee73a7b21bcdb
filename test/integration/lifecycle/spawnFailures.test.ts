/**
 * Guarantee 7: a job that cannot start — a missing or non-executable shell, a missing directory, an argument
 * list the system refuses — is a clear error that holds no job slot and leaves no record. (A directory without
 * permission, tried as an unprivileged user, and the errors over MCP: e2e/lifecycle/spawnFailures.test.ts.)
 */
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type InProcessJobs, inProcessJobs } from "../../support/lifecycle.js"

describe("spawn failures", () => {
  let scratch: string
  const runtimes: Array<InProcessJobs> = []

  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-spawn-"))
  })

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.dispose()
    fs.rmSync(scratch, { recursive: true, force: true })
  })

  /** One job slot only: a failure that held its slot would turn the next attempt into a limit error. */
  const jobsWith = (shell?: string) => {
    const jobs = inProcessJobs({ maxJobs: 1, workingDir: scratch, ...(shell === undefined ? {} : { shell }) })
    runtimes.push(jobs)
    return jobs
  }

  const expectSpawnFailures = async (jobs: InProcessJobs, text: RegExp) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await jobs.attempt((j) => j.execute({ command: "echo hi" }))
      expect(Either.isLeft(result) && result.left._tag).toBe("SpawnFailed")
      expect(Either.isLeft(result) && result.left.message).toMatch(text)
    }
    expect(await jobs.run((j) => j.list)).toEqual([])
  }

  it("reports a shell that does not exist, every time, with no slot held and no record", async () => {
    await expectSpawnFailures(jobsWith("/nonexistent"), /the shell "\/nonexistent" was not found\. Set MCP_BG_SHELL/)
  })

  it("reports a shell that is not executable (refused even to root)", async () => {
    const shell = path.join(scratch, "not-executable")
    fs.writeFileSync(shell, "#!/bin/sh\n", { mode: 0o644 })
    await expectSpawnFailures(jobsWith(shell), /permission denied running/)
  })

  it("reports a command longer than one argument may be, and an environment larger than the system takes", async () => {
    const jobs = jobsWith()
    const longCommand = await jobs.attempt((j) => j.execute({ command: `echo ${"x".repeat(200 * 1024)}` }))
    expect(Either.isLeft(longCommand) && longCommand.left._tag).toBe("SpawnFailed")
    expect(Either.isLeft(longCommand) && longCommand.left.message).toContain("at most 128 KiB in one argument")

    // Each value fits in one argument; together they exceed the system's limit for arguments and environment.
    const env: Record<string, string> = {}
    for (let i = 0; i < 40; i++) env[`BIG_${i}`] = "y".repeat(100 * 1024)
    const hugeEnv = await jobs.attempt((j) => j.execute({ command: "echo hi", env }))
    expect(Either.isLeft(hugeEnv) && hugeEnv.left._tag).toBe("SpawnFailed")
    expect(Either.isLeft(hugeEnv) && hugeEnv.left.message).toContain("larger than the system accepts (E2BIG)")

    expect(await jobs.run((j) => j.list)).toEqual([])
    // The slot is free: the next job starts and runs.
    const next = await jobs.run((j) => j.execute({ command: "echo next" }))
    expect((await jobs.run((j) => j.wait(next.id, { timeout: "30 seconds", fromStart: true }))).stdout).toBe("next\n")
  })

  it("reports a working directory that is missing or not a directory", async () => {
    const jobs = jobsWith()
    const missing = await jobs.attempt((j) => j.execute({ command: "pwd", cwd: "no-such-dir" }))
    expect(Either.isLeft(missing) && missing.left.message).toContain("does not exist")
    fs.writeFileSync(path.join(scratch, "a-file"), "")
    const notDir = await jobs.attempt((j) => j.execute({ command: "pwd", cwd: "a-file" }))
    expect(Either.isLeft(notDir) && notDir.left.message).toContain("is not a directory")
    expect(await jobs.run((j) => j.list)).toEqual([])
  })
})
