/**
 * Working-directory restriction: with an allowlist (or MCP_BG_RESTRICT_CWD) a job's cwd must resolve by
 * realpath inside the working directory, whatever `..` and symbolic links say.
 */
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isInside } from "../../../src/policy/WorkingDirectory.js"
import { makeRuntime } from "../../support/sandbox.js"

describe("isInside", () => {
  it("compares whole path components", () => {
    expect(isInside("/srv/app", "/srv/app")).toBe(true)
    expect(isInside("/srv/app", "/srv/app/src")).toBe(true)
    expect(isInside("/srv/app", "/srv/app-evil")).toBe(false)
    expect(isInside("/srv/app", "/srv")).toBe(false)
    expect(isInside("/srv/app", "/srv/app/..hidden")).toBe(true)
    expect(isInside("/", "/anything")).toBe(true)
  })
})

describe("restricted cwd", () => {
  let root: string
  let app: string
  let restricted: ReturnType<typeof makeRuntime>
  let byFlag: ReturnType<typeof makeRuntime>
  let open: ReturnType<typeof makeRuntime>

  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mbj-cwd-")))
    app = path.join(root, "app")
    fs.mkdirSync(path.join(app, "src"), { recursive: true })
    fs.mkdirSync(path.join(root, "app-evil"))
    fs.symlinkSync(os.tmpdir(), path.join(app, "escape"))
    fs.symlinkSync(path.join(app, "src"), path.join(app, "inside-link"))
    restricted = makeRuntime({ workingDir: app, allowedCommands: ["^pwd"] })
    byFlag = makeRuntime({ workingDir: app, restrictCwd: true })
    open = makeRuntime({ workingDir: app })
  })
  afterAll(async () => {
    await Promise.all([restricted.dispose(), byFlag.dispose(), open.dispose()])
    fs.rmSync(root, { recursive: true, force: true })
  })

  const outcome = async (jobs: ReturnType<typeof makeRuntime>, cwd: string) => {
    const result = await jobs.execute({ command: "pwd", cwd, stdin: "null" })
    return Either.isRight(result) ? "ran" : result.left._tag === "CommandRejected" ? result.left.rule : result.left._tag
  }

  it.each([
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
  ])("under an allowlist, cwd %j: %s", async (cwd, expected) => {
    expect(await outcome(restricted, cwd)).toBe(expected)
  })

  it("refuses the sibling with a common prefix given as an absolute path", async () => {
    expect(await outcome(restricted, path.join(root, "app-evil"))).toBe("working-directory")
    expect(await outcome(byFlag, path.join(root, "app-evil"))).toBe("working-directory")
  })

  it("MCP_BG_RESTRICT_CWD applies without an allowlist; the job runs in the real path", async () => {
    expect(await outcome(byFlag, "..")).toBe("working-directory")
    expect(await outcome(byFlag, "escape")).toBe("working-directory")
    const result = await byFlag.run({ command: "pwd -P; pwd", cwd: "inside-link" })
    expect(result.stdout).toBe(`${path.join(app, "src")}\n${path.join(app, "src")}\n`)
  })

  it("without restriction, any existing directory is accepted", async () => {
    expect(await outcome(open, "..")).toBe("ran")
    expect(await outcome(open, "escape")).toBe("ran")
  })
})
