/**
 * A bad policy setting stops the built server with exit code 2, as a variable and as a flag.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const bin = path.resolve(import.meta.dirname, "../../../dist/bin.js")

/** Runs the bin with stdin closed; resolves with its exit code and stderr (without blocking the test worker). */
const runBin = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ readonly status: number | null; readonly stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.on("error", reject)
    child.on("close", (status) => {
      clearTimeout(timer)
      resolve({ status, stderr })
    })
  })

describe("policy settings", () => {
  // Each start of the bin costs seconds on a loaded machine: three settings stand for the rest.
  const bad = [
    ["MCP_BG_DENIED_COMMANDS", "^rm (", "--denied-commands"],
    ["MCP_BG_RESTRICT_CWD", "maybe", "--restrict-cwd"],
    ["MCP_BG_LIMIT_FILE_SIZE", "10 parsecs", "--limit-file-size"]
  ] as const

  it.each(bad)(
    "stops the server with exit code 2 on a bad %s, as variable and as flag",
    async (name, value, flag) => {
      const [byEnv, byFlag] = await Promise.all([runBin([], { [name]: value }), runBin([`${flag}=${value}`], {})])
      expect(byEnv.status).toBe(2)
      expect(byEnv.stderr).toContain(name)
      expect(byFlag.status).toBe(2)
      expect(byFlag.stderr).toContain(flag)
    }
  )
})

describe("the bin with a command list and a shell the parser does not cover", () => {
  it("exits with code 2 naming the shell setting", async () => {
    const result = await runBin(["--shell", "/usr/bin/zsh"], { MCP_BG_ALLOWED_COMMANDS: "^ls" })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("--shell")
  })
})
