/**
 * Guarantee 7 with the built package: a directory without permission, tried as an unprivileged user by a
 * fixture that imports dist, and spawn failures over MCP, as tool errors after which the server keeps serving.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { tempDirForTest } from "../../support/tempDir.js"
import { textOf } from "../../support/toolResults.js"

const executeIn = fileURLToPath(new URL("./fixtures/executeIn.mjs", import.meta.url))

describe("spawn failures", () => {
  it("reports a working directory without permission (tried as an unprivileged user: root is never refused)", () => {
    const scratch = tempDirForTest("mbj-spawn-")
    const locked = path.join(scratch, "locked")
    fs.mkdirSync(locked, { mode: 0o700 })
    fs.chmodSync(scratch, 0o755)
    const asRoot = process.getuid?.() === 0
    // As root, the fixture becomes "nobody" once its modules are loaded (wherever the checkout lies and whoever
    // can read it); as anyone else, the directory is refused to us already.
    if (!asRoot) fs.chmodSync(locked, 0o000)
    const output = execFileSync(process.execPath, [executeIn, locked], { encoding: "utf8" })
    if (!asRoot) fs.chmodSync(locked, 0o700)
    const result = JSON.parse(output.trim().split("\n").pop()!) as {
      failed: { tag: string; message: string } | null
      nextStarted: boolean
      jobs: number
    }
    expect(result.failed?.tag).toBe("SpawnFailed")
    expect(result.failed?.message).toContain("permission denied")
    // The failed attempt held no slot (the limit is 1) and left no record: only the next job is listed.
    expect(result.nextStarted).toBe(true)
    expect(result.jobs).toBe(1)
  })
})

describe("spawn failures over MCP", () => {
  it("are tool errors that say what to do, and the server keeps serving", async () => {
    const server = await connectStdioForTest({ MCP_BG_SHELL: "/nonexistent" })
    const result = await server.result("execute", { command: "echo hi" })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toBe(
      "Could not start the job: the shell \"/nonexistent\" was not found. Set MCP_BG_SHELL to an existing shell such as /bin/sh."
    )
    expect(await server.call("list")).toEqual({ jobs: [] })
  })
})
