/**
 * Environment hygiene: jobs do not inherit the server's secrets or the scrubbed names; under a command
 * policy the job's own env may not set loader or interpreter hooks unless MCP_BG_ALLOWED_ENV lists them.
 */
import * as Either from "effect/Either"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jobEnvironment } from "../../../src/policy/JobEnvironment.js"
import { makeRuntime, makeSandbox, type Sandbox } from "../../support/sandbox.js"

const planted = {
  MCP_BG_HTTP_TOKEN: "server-secret",
  MCP_BG_API_KEY: "server-key",
  MBJ_TEST_DEPLOY_TOKEN: "scrub-me",
  MBJ_TEST_AWS_SECRET: "scrub-me-too",
  MBJ_TEST_KEEP: "keep-me"
}

describe("jobEnvironment", () => {
  it("drops the server's secrets and scrubbed globs, keeps the rest, adds the job's own", () => {
    const env = jobEnvironment({
      inherited: { ...planted, MCP_BG_MAX_JOBS: "3", HOME: "/home/x" },
      scrub: ["*_DEPLOY_TOKEN", "MBJ_TEST_AWS_*"],
      extra: { MBJ_TEST_DEPLOY_TOKEN: "given-by-the-job" }
    })
    expect(env).toEqual({ MCP_BG_MAX_JOBS: "3", HOME: "/home/x", MBJ_TEST_KEEP: "keep-me", MBJ_TEST_DEPLOY_TOKEN: "given-by-the-job" })
  })
})

describe("a job's inherited environment", () => {
  let sandbox: Sandbox
  let jobs: ReturnType<typeof makeRuntime>
  let policed: ReturnType<typeof makeRuntime>
  beforeAll(() => {
    Object.assign(process.env, planted)
    sandbox = makeSandbox()
    jobs = makeRuntime({ workingDir: sandbox.dir, scrubEnv: ["*_DEPLOY_TOKEN", "MBJ_TEST_AWS_*"] })
    policed = makeRuntime({ workingDir: sandbox.dir, allowedCommands: ["^env$", "^echo "], allowedEnv: ["NODE_OPTIONS", "PYTHON*"] })
  })
  afterAll(async () => {
    for (const name of Object.keys(planted)) delete process.env[name]
    await Promise.all([jobs.dispose(), policed.dispose()])
    sandbox.remove()
  })

  it("lacks the scrubbed variables in the job's env output", async () => {
    const result = await jobs.run({ command: "env" })
    expect(result.status).toBe("completed")
    expect(result.stdout).toContain("MBJ_TEST_KEEP=keep-me")
    for (const secret of ["server-secret", "server-key", "scrub-me", "MCP_BG_HTTP_TOKEN", "MBJ_TEST_DEPLOY_TOKEN", "MBJ_TEST_AWS_SECRET"]) {
      expect(result.stdout).not.toContain(secret)
    }
  })

  it("refuses hook variables in the job's env under an allowlist, and accepts the listed ones", async () => {
    for (const name of ["LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "ENV", "PATH", "GIT_SSH_COMMAND", "PYTHON_NOT_A_HOOK_BUT_LISTED", "BASH_FUNC_echo%%"]) {
      const result = await policed.execute({ command: "env", env: { [name]: "x" }, stdin: "null" })
      const listed = name.startsWith("PYTHON")
      expect(Either.isLeft(result) ? result.left._tag : "ran").toBe(listed ? "ran" : "CommandRejected")
    }
    const result = await policed.run({ command: "env", env: { NODE_OPTIONS: "--no-warnings", PYTHONPATH: "." } })
    expect(result.stdout).toContain("NODE_OPTIONS=--no-warnings")
    expect(result.stdout).toContain("PYTHONPATH=.")
  })

  it("lets ordinary variables through under an allowlist", async () => {
    const result = await policed.run({ command: "echo \"$CI\"", env: { CI: "1" } })
    expect(result.stdout).toBe("1\n")
  })
})
