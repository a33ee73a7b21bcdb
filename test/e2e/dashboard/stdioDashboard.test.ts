/**
 * `--dashboard` beside a stdio server: the URL on stderr, the token in a private file, the dashboard's API
 * showing the stdio client's jobs, and `mcp-background-job dashboard` finding it (and not after it stopped).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runBin, spawnBin } from "../../support/bin.js"
import { eventually, expectEventually } from "../../support/polling.js"

describe("stdio server with --dashboard", () => {
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-dash-"))
  afterAll(() => fs.rmSync(runtimeDir, { recursive: true, force: true }))

  it("serves the dashboard on loopback with a generated token, and `dashboard` lists it", async () => {
    const env = { XDG_RUNTIME_DIR: runtimeDir, MCP_BG_LOG_LEVEL: "warning" }
    const server = spawnBin(["--dashboard"], env, { stdin: "pipe" })
    try {
      expect(await eventually(() => /dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.test(server.stderr()), 20_000)).toBe(true)
      const [, url, tokenFile] = /dashboard at (\S+) \(sign in with the token in (\S+)\)/.exec(server.stderr())!
      expect((fs.statSync(tokenFile!).mode & 0o777).toString(8)).toBe("600")
      const token = fs.readFileSync(tokenFile!, "utf8").trim()
      // A job started by the stdio client shows on the dashboard.
      server.child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }) + "\n")
      server.child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n")
      server.child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: "echo from-stdio-agent" } } }) + "\n")
      expect((await fetch(new URL("/api/jobs", url))).status).toBe(401)
      await expectEventually("the stdio job is listed", async () => {
        const response = await fetch(new URL("/api/jobs", url), { headers: { authorization: `Bearer ${token}` } })
        return JSON.stringify(await response.json()).includes("from-stdio-agent")
      })
      const listed = await runBin(["dashboard"], env)
      expect(listed.code).toBe(0)
      expect(listed.stdout).toContain(url)
      expect(listed.stdout).toContain(tokenFile)
    } finally {
      server.child.stdin!.end()
      await server.exited
    }
    const after = await runBin(["dashboard"], { XDG_RUNTIME_DIR: runtimeDir })
    expect(after.code).toBe(1)
    expect(after.stderr).toContain("no dashboard is running")
  })

  it("refuses a dashboard address that is not loopback", async () => {
    const result = await runBin(["--dashboard", "0.0.0.0:7999"], { XDG_RUNTIME_DIR: runtimeDir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("loopback")
  })
})
