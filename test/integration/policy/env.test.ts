/**
 * Environment hygiene: jobs do not inherit the server's secrets or the scrubbed names; under a command
 * policy the job's own env may not set loader or interpreter hooks unless MCP_BG_ALLOWED_ENV lists them.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { jobEnvironment } from "../../../src/policy/JobEnvironment.js"
import { executeToEnd, runToEnd } from "../../support/runtime.js"
import { inSandbox } from "../../support/sandbox.js"

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
    assert.deepStrictEqual(env, { MCP_BG_MAX_JOBS: "3", HOME: "/home/x", MBJ_TEST_KEEP: "keep-me", MBJ_TEST_DEPLOY_TOKEN: "given-by-the-job" })
  })
})

describe("a job's inherited environment", () => {
  beforeAll(() => {
    Object.assign(process.env, planted)
  })
  afterAll(() => {
    for (const name of Object.keys(planted)) delete process.env[name]
  })

  const scrubbing = { scrubEnv: ["*_DEPLOY_TOKEN", "MBJ_TEST_AWS_*"] }
  const policed = { allowedCommands: ["^env$", "^echo "], allowedEnv: ["NODE_OPTIONS", "PYTHON*"] }

  it.scopedLive("lacks the scrubbed variables in the job's env output", () =>
    inSandbox(scrubbing, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "env" })
        assert.strictEqual(result.status, "completed")
        assert.include(result.stdout, "MBJ_TEST_KEEP=keep-me")
        for (const secret of ["server-secret", "server-key", "scrub-me", "MCP_BG_HTTP_TOKEN", "MBJ_TEST_DEPLOY_TOKEN", "MBJ_TEST_AWS_SECRET"]) {
          assert.notInclude(result.stdout, secret)
        }
      })
    ))

  it.scopedLive("refuses hook variables in the job's env under an allowlist, and accepts the listed ones", () =>
    inSandbox(policed, () =>
      Effect.gen(function*() {
        for (const name of ["LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "ENV", "PATH", "GIT_SSH_COMMAND", "PYTHON_NOT_A_HOOK_BUT_LISTED", "BASH_FUNC_echo%%"]) {
          const result = yield* executeToEnd({ command: "env", env: { [name]: "x" }, stdin: "null" })
          const listed = name.startsWith("PYTHON")
          assert.strictEqual(Either.isLeft(result) ? result.left._tag : "ran", listed ? "ran" : "CommandRejected")
        }
        const result = yield* runToEnd({ command: "env", env: { NODE_OPTIONS: "--no-warnings", PYTHONPATH: "." } })
        assert.include(result.stdout, "NODE_OPTIONS=--no-warnings")
        assert.include(result.stdout, "PYTHONPATH=.")
      })
    ))

  it.scopedLive("lets ordinary variables through under an allowlist", () =>
    inSandbox(policed, () =>
      Effect.gen(function*() {
        const result = yield* runToEnd({ command: "echo \"$CI\"", env: { CI: "1" } })
        assert.strictEqual(result.stdout, "1\n")
      })
    ))
})
