import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it, onTestFinished } from "vitest"
import {
  connectHttpClient,
  type HttpClient,
  initializeBody,
  mcpHeaders,
  rawRequest,
  startHttpServer,
  type TestServer
} from "../../support/httpServer.js"
import { callTool, callToolError } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"

const TOKEN = "test-token-0123456789abcdef"

/** A server stopped when the test finishes. */
const server = async (...args: Parameters<typeof startHttpServer>): Promise<TestServer> => {
  const started = await startHttpServer(...args)
  onTestFinished(started.close)
  return started
}

/** A client closed when the test finishes. */
const client = async (url: string, token = TOKEN): Promise<HttpClient> => {
  const connected = await connectHttpClient(url, token)
  onTestFinished(connected.close)
  return connected
}

/** A marker whose processes are killed when the test finishes. */
const marked = () => {
  const marker = uniqueMarker("http")
  onTestFinished(() => killMarked(marker))
  return marker
}

describe("MCP over Streamable HTTP", () => {
  it("runs a job through the SDK's HTTP client: execute, wait, output, status", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const { client: c } = await client(srv.url)
    const tools = await c.listTools()
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["execute", "list", "status", "output", "wait", "kill"]))

    const started = await callTool(c, "execute", { command: "echo hello over http; echo oops >&2; exit 4" })
    const id = started.job_id as string
    const waited = await callTool(c, "wait", { job_id: id, timeout_s: 20, cursor: `${id.slice(0, 8)}:0:0` })
    expect(waited).toMatchObject({ reason: "exited", status: "failed", exit_code: 4 })
    const output = await callTool(c, "output", { job_id: id })
    expect(output.stdout).toBe("hello over http\n")
    expect(output.stderr).toBe("oops\n")
    const listed = await callTool(c, "list", {})
    expect((listed.jobs as Array<{ job_id: string }>).map((j) => j.job_id)).toContain(id)
  })

  it("sends progress notifications while wait runs, and resource updates to a subscriber", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const { client: c } = await client(srv.url)
    const started = await callTool(c, "execute", { command: "sleep 2.5; echo finished" })
    const id = started.job_id as string

    const updates: Array<string> = []
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri)
    })
    await c.subscribeResource({ uri: `job://${id}/output` })

    const progress: Array<number> = []
    const result = await c.callTool({ name: "wait", arguments: { job_id: id, timeout_s: 30 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      timeout: 60_000
    })
    expect(result.structuredContent).toMatchObject({ reason: "exited", status: "completed" })
    expect(progress.length).toBeGreaterThanOrEqual(1)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))

    expect(await eventually(() => updates.includes(`job://${id}/output`), 10_000)).toBe(true)
    const resource = await c.readResource({ uri: `job://${id}/output` })
    expect(resource.contents[0]).toMatchObject({ text: "finished\n" })
  })

  it("answers /healthz without a token and without a word about jobs", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const response = await rawRequest(srv.port, { method: "GET", path: "/healthz", headers: { Host: `127.0.0.1:${srv.port}` } })
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toEqual({ status: "ok" })
  })

  it("refuses requests without a token or with a wrong one (401, WWW-Authenticate: Bearer)", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const host = { Host: `127.0.0.1:${srv.port}` }
    const missing = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), ...host, Authorization: "" }, body: initializeBody })
    expect(missing.status).toBe(401)
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer /)

    const wrong = await rawRequest(srv.port, { headers: { ...mcpHeaders("not-the-token"), ...host }, body: initializeBody })
    expect(wrong.status).toBe(401)
    expect(wrong.headers["www-authenticate"]).toMatch(/^Bearer .*error="invalid_token"/)

    // A prefix of the right token, or the token in another scheme, is as wrong as any other.
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), ...host, Authorization: authorization }, body: initializeBody })
      expect(response.status).toBe(401)
    }
    await expect(connectHttpClient(srv.url, "not-the-token")).rejects.toThrow(/401|Unauthorized/)

    const right = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), ...host }, body: initializeBody })
    expect(right.status).toBe(200)
    expect(right.headers["mcp-session-id"]).toBeTruthy()
  })

  it("refuses a browser Origin that is not allowed (403) and serves an allowed one with CORS headers", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }], allowedOrigins: ["http://localhost:5173"] })
    const host = { Host: `127.0.0.1:${srv.port}` }
    const evil = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), ...host, Origin: "http://evil.example" }, body: initializeBody })
    expect(evil.status).toBe(403)
    expect(evil.headers["access-control-allow-origin"]).toBeUndefined()
    const nullOrigin = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), ...host, Origin: "null" }, body: initializeBody })
    expect(nullOrigin.status).toBe(403)

    const allowed = await rawRequest(srv.port, {
      headers: { ...mcpHeaders(TOKEN), ...host, Origin: "http://localhost:5173" },
      body: initializeBody
    })
    expect(allowed.status).toBe(200)
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://localhost:5173")
  })

  it("refuses a Host header that does not name the server (DNS rebinding) with 403", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }], allowedHosts: ["jobs.example.com"] })
    const rebound = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), Host: `attacker.example:${srv.port}` }, body: initializeBody })
    expect(rebound.status).toBe(403)
    expect(rebound.body).toContain("Host")
    const health = await rawRequest(srv.port, { method: "GET", path: "/healthz", headers: { Host: "attacker.example" } })
    expect(health.status).toBe(403)

    for (const host of [`localhost:${srv.port}`, `127.0.0.1:${srv.port}`, "jobs.example.com"]) {
      const ok = await rawRequest(srv.port, { headers: { ...mcpHeaders(TOKEN), Host: host }, body: initializeBody })
      expect(ok.status, host).toBe(200)
    }
  })

  it("refuses a body over the limit (413), a wrong content type (415), and bad session ids (400, 404)", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }], maxBodySize: 4096 })
    const headers = { ...mcpHeaders(TOKEN), Host: `127.0.0.1:${srv.port}` }
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(64 * 1024) } })
    expect((await rawRequest(srv.port, { headers, body: big })).status).toBe(413)
    expect((await rawRequest(srv.port, { headers, body: big, chunked: true })).status).toBe(413)

    const plain = await rawRequest(srv.port, { headers: { ...headers, "Content-Type": "text/plain" }, body: initializeBody })
    expect(plain.status).toBe(415)

    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })
    const noSession = await rawRequest(srv.port, { headers, body: list })
    expect(noSession.status).toBe(400)
    const unknown = await rawRequest(srv.port, { headers: { ...headers, "Mcp-Session-Id": "7b0c1f7e-0000-4000-8000-000000000000" }, body: list })
    expect(unknown.status).toBe(404)
    const getUnknown = await rawRequest(srv.port, {
      method: "GET",
      headers: { ...headers, Accept: "text/event-stream", "Mcp-Session-Id": "nope" }
    })
    expect(getUnknown.status).toBe(404)
    const notJson = await rawRequest(srv.port, { headers, body: "{not json" })
    expect(notJson.status).toBe(400)

    // The server still works after all that.
    const { client: c } = await client(srv.url)
    expect((await c.listTools()).tools.length).toBeGreaterThan(0)
  })

  it("keeps the jobs of two named tokens apart: unknown id is the answer", async () => {
    const alice = "alice-token-0123456789"
    const bob = "bob-token-9876543210"
    const srv = await server({ tokens: [{ name: "alice", token: alice }, { name: "bob", token: bob }] })
    const marker = marked()
    const a = await client(srv.url, alice)
    const b = await client(srv.url, bob)
    const started = await callTool(a.client, "execute", { command: `sleep 30 # ${marker}` })
    const id = started.job_id as string
    const bobsJob = (await callTool(b.client, "execute", { command: "echo bob" })).job_id as string

    const aliceList = (await callTool(a.client, "list", {})).jobs as Array<{ job_id: string }>
    const bobList = (await callTool(b.client, "list", {})).jobs as Array<{ job_id: string }>
    expect(aliceList.map((j) => j.job_id)).toEqual([id])
    expect(bobList.map((j) => j.job_id)).toEqual([bobsJob])

    for (const tool of ["status", "output", "tail", "wait", "restart"]) {
      expect(await callToolError(b.client, tool, { job_id: id }), tool).toMatch(new RegExp(`Job ${id} not found`))
    }
    expect(await callToolError(b.client, "interact", { job_id: id, input: "x" })).toMatch(/not found/)
    expect(await callTool(b.client, "kill", { job_id: id })).toEqual({ status: "not_found" })
    await expect(b.client.readResource({ uri: `job://${id}/output` })).rejects.toThrow(/not found/)
    const resources = await b.client.listResources()
    expect(resources.resources.map((r) => r.uri)).not.toContain(`job://${id}/output`)

    // Bob's token cannot use Alice's session either.
    const sessionId = a.transport.sessionId!
    const stolen = await rawRequest(srv.port, {
      headers: { ...mcpHeaders(bob), Host: `127.0.0.1:${srv.port}`, "Mcp-Session-Id": sessionId },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" })
    })
    expect(stolen.status).toBe(404)

    expect(processesWithMarker(marker).length).toBeGreaterThan(0)
    expect(await callTool(a.client, "kill", { job_id: id })).toEqual({ status: "killed" })
    expect(await eventually(() => processesWithMarker(marker).length === 0, 15_000)).toBe(true)
  })

  it("keeps a job running when its session closes; a new session reads it", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const marker = marked()
    const first = await connectHttpClient(srv.url, TOKEN)
    const id = (await callTool(first.client, "execute", {
      command: `for i in $(seq 1 300); do echo tick $i; sleep 0.1; done # ${marker}`
    })).job_id as string
    expect(await eventually(() => srv.sessionCount() === 1)).toBe(true)
    await first.close()
    expect(await eventually(() => srv.sessionCount() === 0)).toBe(true)
    expect(processesWithMarker(marker).length).toBeGreaterThan(0)

    const { client: second } = await client(srv.url)
    expect(await callTool(second, "status", { job_id: id })).toMatchObject({ status: "running" })
    const waited = await callTool(second, "wait", { job_id: id, until: "tick 3$", timeout_s: 20, cursor: `${id.slice(0, 8)}:0:0` })
    expect(waited).toMatchObject({ reason: "matched", matched_line: "tick 3" })
    await callTool(second, "kill", { job_id: id })
    expect(await eventually(() => processesWithMarker(marker).length === 0, 15_000)).toBe(true)
  })

  it("closes idle sessions without touching their jobs", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }], sessionIdle: "300 millis" })
    const marker = marked()
    const headers = { ...mcpHeaders(TOKEN), Host: `127.0.0.1:${srv.port}` }
    const opened = await rawRequest(srv.port, { headers, body: initializeBody })
    const sessionId = opened.headers["mcp-session-id"] as string
    const session = { ...headers, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" }
    await rawRequest(srv.port, { headers: session, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })
    const call = await rawRequest(srv.port, {
      headers: session,
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: `sleep 30 # ${marker}` } } })
    })
    expect(call.status).toBe(200)
    expect(call.body).toContain("job_id")

    expect(await eventually(() => srv.sessionCount() === 0, 10_000)).toBe(true)
    const expired = await rawRequest(srv.port, { headers: session, body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }) })
    expect(expired.status).toBe(404)
    expect(processesWithMarker(marker).length).toBeGreaterThan(0)
  })

  it("refuses to listen on a non-loopback address without an explicit token", async () => {
    await expect(startHttpServer({ host: "0.0.0.0" })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without MCP_BG_HTTP_TOKEN/)
  })

  it("stops every job when the server shuts down", async () => {
    const srv = await server({ tokens: [{ name: "default", token: TOKEN }] })
    const marker = marked()
    const c = await connectHttpClient(srv.url, TOKEN)
    // Ignores SIGTERM: only the escalation to SIGKILL ends it.
    const id = (await callTool(c.client, "execute", {
      command: `node -e 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)' ${marker}`
    })).job_id as string
    const ready = await callTool(c.client, "wait", { job_id: id, until: "^ready$", timeout_s: 20, cursor: `${id.slice(0, 8)}:0:0` })
    expect(ready).toMatchObject({ reason: "matched" })
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(1)
    await srv.close()
    expect(processesWithMarker(marker)).toEqual([])
    await c.client.close()
  })
})
