/**
 * Working-directory restriction: with an allowlist (or MCP_BG_RESTRICT_CWD) a job's cwd must resolve by
 * realpath inside the working directory, whatever `..` and symbolic links say.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { JobConfigInput } from "../../../src/JobConfig.js"
import { isInside } from "../../../src/policy/WorkingDirectory.js"
import { liveJobs, runToEnd } from "../../support/runtime.js"
import { outcome } from "../../support/sandbox.js"

describe("isInside", () => {
  it("compares whole path components", () => {
    assert.isTrue(isInside("/srv/app", "/srv/app"))
    assert.isTrue(isInside("/srv/app", "/srv/app/src"))
    assert.isFalse(isInside("/srv/app", "/srv/app-evil"))
    assert.isFalse(isInside("/srv/app", "/srv"))
    assert.isTrue(isInside("/srv/app", "/srv/app/..hidden"))
    assert.isTrue(isInside("/", "/anything"))
  })
})

describe("restricted cwd", () => {
  let root: string
  let app: string

  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mbj-cwd-")))
    app = path.join(root, "app")
    fs.mkdirSync(path.join(app, "src"), { recursive: true })
    fs.mkdirSync(path.join(root, "app-evil"))
    fs.symlinkSync(os.tmpdir(), path.join(app, "escape"))
    fs.symlinkSync(path.join(app, "src"), path.join(app, "inside-link"))
  })
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true })
  })

  /** Jobs working in `app`, as the policy tests run them. */
  const inApp = (input: JobConfigInput) => liveJobs({ cleanupInterval: "60 millis", killGrace: "1 millis", workingDir: app, ...input })
  const restricted = () => inApp({ allowedCommands: ["^pwd"] })
  const byFlag = () => inApp({ restrictCwd: true })
  const open = () => inApp({})

  const pwdIn = (cwd: string) => outcome({ command: "pwd", cwd, stdin: "null" })

  it.live.each([
    ["..", "working-directory"],
    ["src/../..", "working-directory"],
    ["../app-evil", "working-directory"],
    ["/srv/app-evil-that-does-not-exist", "InvalidArgument"],
    ["escape", "working-directory"],
    // `..` is resolved on the text first: this is the working directory itself, where the job then runs.
    ["escape/..", "ran"],
    ["escape/../..", "working-directory"],
    ["src", "ran"],
    ["inside-link", "ran"],
    [".", "ran"]
  ] as const)("under an allowlist, cwd %j: %s", ([cwd, expected]) =>
    Effect.gen(function*() {
      assert.strictEqual(yield* pwdIn(cwd), expected)
    }).pipe(Effect.provide(restricted())))

  it.live("refuses the sibling with a common prefix given as an absolute path", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* pwdIn(path.join(root, "app-evil")).pipe(Effect.provide(restricted())), "working-directory")
      assert.strictEqual(yield* pwdIn(path.join(root, "app-evil")).pipe(Effect.provide(byFlag())), "working-directory")
    }))

  it.live("MCP_BG_RESTRICT_CWD applies without an allowlist; the job runs in the real path", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* pwdIn(".."), "working-directory")
      assert.strictEqual(yield* pwdIn("escape"), "working-directory")
      const result = yield* runToEnd({ command: "pwd -P; pwd", cwd: "inside-link" })
      assert.strictEqual(result.stdout, `${path.join(app, "src")}\n${path.join(app, "src")}\n`)
    }).pipe(Effect.provide(byFlag())))

  it.live("without restriction, any existing directory is accepted", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* pwdIn(".."), "ran")
      assert.strictEqual(yield* pwdIn("escape"), "ran")
    }).pipe(Effect.provide(open())))
})
