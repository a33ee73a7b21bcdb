import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { eventually, killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"
import { BIN, callTool, connectClient, startBin } from "../../support/http.js"

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The environment without any HTTP setting of the developer's shell. */
const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith("MCP_BG_")) env[name] = value
  return env
}

const runBin = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, encoding: "utf8", timeout: 30_000 })

const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-http-"))
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe("the bin in HTTP mode", () => {
  it("refuses to listen on 0.0.0.0 without a token: exit 2 and a message that says what to do", () => {
    const result = runBin(["--http", "--host", "0.0.0.0", "--port", "0"])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without MCP_BG_HTTP_TOKEN/)
    expect(result.stderr).toMatch(/127\.0\.0\.1/)
  })

  it("rejects bad HTTP settings at start with exit 2, never echoing a token", () => {
    const badToken = runBin(["--http", "--port", "0"], { MCP_BG_HTTP_TOKEN: "a:s3cret-value,b:s3cret-value" })
    expect(badToken.status).toBe(2)
    expect(badToken.stderr).toMatch(/MCP_BG_HTTP_TOKEN: invalid value \(not shown\)/)
    expect(badToken.stderr).not.toContain("s3cret")

    const badPort = runBin(["--http", "--port", "70000"])
    expect(badPort.status).toBe(2)
    expect(badPort.stderr).toMatch(/--port: invalid value "70000"/)

    const badOrigin = runBin(["--http", "--port", "0"], { MCP_BG_HTTP_ALLOWED_ORIGINS: "http://ok.example,not a url" })
    expect(badOrigin.status).toBe(2)
    expect(badOrigin.stderr).toMatch(/MCP_BG_HTTP_ALLOWED_ORIGINS/)

    const noHttp = runBin(["--port", "7000"])
    expect(noHttp.status).toBe(2)
    expect(noHttp.stderr).toMatch(/--port is a setting of HTTP mode: add --http/)
  })

  it("generates a token into a file only the user can read, accepts only it, and removes the file at exit", async () => {
    const dir = tempDir()
    const tokenFile = path.join(dir, "sub", "server.token")
    const server = await startBin(["--http", "--port", "0"], { ...cleanEnv(), MCP_BG_HTTP_TOKEN_FILE: tokenFile })
    cleanups.push(() => server.child.kill("SIGKILL"))
    // The token line follows the "listening" line the start waited for: it may still be on its way.
    expect(await eventually(() => server.stderr().includes(tokenFile))).toBe(true)
    const stat = fs.statSync(tokenFile)
    expect(stat.mode & 0o777).toBe(0o600)
    const token = fs.readFileSync(tokenFile, "utf8").trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const c = await connectClient(server.url, token)
    expect(await callTool(c.client, "list", {})).toEqual({ jobs: [] })
    await c.close()
    await expect(connectClient(server.url, token.slice(1))).rejects.toThrow(/401|Unauthorized/)

    server.child.kill("SIGINT")
    expect(await server.exited).toBe(0)
    expect(fs.existsSync(tokenFile)).toBe(false)
  })

  it("on SIGTERM stops every job as in stdio mode: SIGTERM to the group, SIGKILL after the grace period", async () => {
    const dir = tempDir()
    const marker = uniqueMarker("httpbin")
    cleanups.push(() => killMarked(marker))
    const token = "shutdown-token-0123456789"
    const server = await startBin(["--http", "--port", "0", "--kill-grace", "1"], { ...cleanEnv(), MCP_BG_HTTP_TOKEN: token })
    cleanups.push(() => server.child.kill("SIGKILL"))
    const c = await connectClient(server.url, token)
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
    expect(await server.exited).toBe(0)
    expect(fs.readFileSync(note, "utf8")).toBe("got-term\n")
    expect(processesWithMarker(marker)).toEqual([])
  })
})
