import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { runBin, startHttpBin } from "../../support/bin.js"
import { connectHttpClient } from "../../support/httpServer.js"
import { callTool } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"

/** A temporary directory removed when the test finishes. */
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-http-"))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe("the bin in HTTP mode", () => {
  it("refuses to listen on 0.0.0.0 without a token: exit 2 and a message that says what to do", async () => {
    const result = await runBin(["--http", "--host", "0.0.0.0", "--port", "0"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without MCP_BG_HTTP_TOKEN/)
    expect(result.stderr).toMatch(/127\.0\.0\.1/)
  })

  it("rejects bad HTTP settings at start with exit 2, never echoing a token", async () => {
    const badToken = await runBin(["--http", "--port", "0"], { MCP_BG_HTTP_TOKEN: "a:s3cret-value,b:s3cret-value" })
    expect(badToken.code).toBe(2)
    expect(badToken.stderr).toMatch(/MCP_BG_HTTP_TOKEN: invalid value \(not shown\)/)
    expect(badToken.stderr).not.toContain("s3cret")

    const badPort = await runBin(["--http", "--port", "70000"])
    expect(badPort.code).toBe(2)
    expect(badPort.stderr).toMatch(/--port: invalid value "70000"/)

    const badOrigin = await runBin(["--http", "--port", "0"], { MCP_BG_HTTP_ALLOWED_ORIGINS: "http://ok.example,not a url" })
    expect(badOrigin.code).toBe(2)
    expect(badOrigin.stderr).toMatch(/MCP_BG_HTTP_ALLOWED_ORIGINS/)

    const noHttp = await runBin(["--port", "7000"])
    expect(noHttp.code).toBe(2)
    expect(noHttp.stderr).toMatch(/--port is a setting of HTTP mode: add --http/)
  })

  it("generates a token into a file only the user can read, accepts only it, and removes the file at exit", async () => {
    const dir = tempDir()
    const tokenFile = path.join(dir, "sub", "server.token")
    const server = await startHttpBin(["--http", "--port", "0"], { MCP_BG_HTTP_TOKEN_FILE: tokenFile })
    onTestFinished(() => {
      server.child.kill("SIGKILL")
    })
    // The token line follows the "listening" line the start waited for: it may still be on its way.
    expect(await eventually(() => server.stderr().includes(tokenFile))).toBe(true)
    const stat = fs.statSync(tokenFile)
    expect(stat.mode & 0o777).toBe(0o600)
    const token = fs.readFileSync(tokenFile, "utf8").trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const c = await connectHttpClient(server.url, token)
    expect(await callTool(c.client, "list", {})).toEqual({ jobs: [] })
    await c.close()
    await expect(connectHttpClient(server.url, token.slice(1))).rejects.toThrow(/401|Unauthorized/)

    server.child.kill("SIGINT")
    expect((await server.exited).code).toBe(0)
    expect(fs.existsSync(tokenFile)).toBe(false)
  })

  it("on SIGTERM stops every job as in stdio mode: SIGTERM to the group, SIGKILL after the grace period", async () => {
    const dir = tempDir()
    const marker = uniqueMarker("httpbin")
    onTestFinished(() => killMarked(marker))
    const token = "shutdown-token-0123456789"
    const server = await startHttpBin(["--http", "--port", "0", "--kill-grace", "1"], { MCP_BG_HTTP_TOKEN: token })
    onTestFinished(() => {
      server.child.kill("SIGKILL")
    })
    const c = await connectHttpClient(server.url, token)
    const note = path.join(dir, "graceful")
    // One job cleans up on SIGTERM (it must get the chance), one ignores it (SIGKILL must follow).
    const graceful = `process.on("SIGTERM", () => { require("fs").writeFileSync(process.argv[1], "got-term\\n"); process.exit(0) }); ` +
      `console.log("ready"); setInterval(() => {}, 1000)`
    const stubborn = `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)`
    for (const script of [`${graceful}' ${note}`, `${stubborn}'`]) {
      const id = (await callTool(c.client, "execute", { command: `node -e '${script} ${marker}` })).job_id as string
      const ready = await callTool(c.client, "wait", { job_id: id, until: "^ready$", timeout_s: 20, cursor: `${id.slice(0, 8)}:0:0` })
      expect(ready).toMatchObject({ reason: "matched" })
    }
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(2)
    await c.client.close()

    server.child.kill("SIGTERM")
    expect((await server.exited).code).toBe(0)
    expect(fs.readFileSync(note, "utf8")).toBe("got-term\n")
    expect(processesWithMarker(marker)).toEqual([])
  })
})
