/**
 * The built `bin` over stdio: start-up, a full job round trip, bad configuration, and shutdown.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { afterEach, assert, describe, it } from "vitest"
import { binPath, initializeRequest, runBin, startRawServer } from "../../support/bin.js"
import { eventually, killMarked, markedSleep, processesWithMarker } from "../../support/processes.js"

const markers: Array<string> = []
afterEach(() => {
  for (const marker of markers.splice(0)) killMarked(marker)
})

const structured = (result: unknown) => (result as CallToolResult).structuredContent as Record<string, unknown>

describe("stdio server", () => {
  it("starts, runs a job end to end, and stops its jobs when stdin closes", async () => {
    const { marker, sleep } = markedSleep()
    markers.push(marker)
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [binPath],
      env: { ...process.env as Record<string, string>, MCP_BG_KILL_GRACE: "1" },
      stderr: "pipe"
    })
    const client = new Client({ name: "stdio-test", version: "0" })
    await client.connect(transport)
    assert.strictEqual(client.getServerVersion()?.name, "mcp-background-job")
    assert.match(client.getInstructions() ?? "", /wait/)

    const echo = structured(await client.callTool({ name: "execute", arguments: { command: "echo round trip; exit 0" } }))
    const done = structured(await client.callTool({ name: "wait", arguments: { job_id: echo["job_id"], timeout_s: 10, cursor: undefined } }))
    assert.strictEqual(done["status"], "completed")
    const output = structured(await client.callTool({ name: "output", arguments: { job_id: echo["job_id"] } }))
    assert.strictEqual(output["stdout"], "round trip\n")

    await client.callTool({ name: "execute", arguments: { command: `${sleep} 300 & ${sleep} 300` } })
    await client.callTool({ name: "execute", arguments: { command: `trap '' TERM; ${sleep} 300` } })
    assert.isTrue(await eventually(() => processesWithMarker(marker).filter((p) => p.cmdline.startsWith(sleep)).length === 3))
    const serverPid = transport.pid
    assert.isNotNull(serverPid)

    await client.close() // closes the server's stdin
    const gone = await eventually(() => processesWithMarker(marker).length === 0, 1_000 + 3_000)
    assert.isTrue(gone, "no job process is left after stdin closes")
    assert.isTrue(await eventually(() => {
      try {
        process.kill(serverPid!, 0)
        return false
      } catch {
        return true
      }
    }, 5_000), "the server exits")
  })

  it("writes only protocol messages on stdout and exits 0 when stdin closes", async () => {
    const server = startRawServer({ MCP_BG_LOG_LEVEL: "debug" })
    server.send(initializeRequest(1))
    server.send({ jsonrpc: "2.0", method: "notifications/initialized" })
    server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: "echo hi", wait_ms: 5000 } } })
    assert.isTrue(await eventually(() => server.messages.some((m) => m["id"] === 2), 10_000))
    const reply = server.messages.find((m) => m["id"] === 2) as { result: CallToolResult }
    assert.strictEqual((reply.result.structuredContent as Record<string, unknown>)["stdout"], "hi\n")
    server.child.stdin.end()
    const exit = await server.exited
    assert.strictEqual(exit.code, 0)
    assert.deepStrictEqual(server.garbage, [])
    assert.match(server.stderr(), /job started/, "logs go to stderr")
  })

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`on ${signal} stops every job and exits 0`, async () => {
      const { marker, sleep } = markedSleep()
      markers.push(marker)
      const server = startRawServer({ MCP_BG_KILL_GRACE: "1" })
      server.send(initializeRequest(1))
      server.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: `trap '' TERM; ${sleep} 300 & ${sleep} 300` } } })
      assert.isTrue(await eventually(() => processesWithMarker(marker).filter((p) => p.cmdline.startsWith(sleep)).length === 2))
      server.child.kill(signal)
      const exit = await server.exited
      assert.strictEqual(exit.code, 0)
      assert.strictEqual(processesWithMarker(marker).length, 0)
    })
  }

  it("exits 2 with one line naming the variable or flag on bad configuration", { timeout: 60_000 }, async () => {
    const cases: Array<[Array<string>, Record<string, string>, RegExp]> = [
      [[], { MCP_BG_MAX_JOBS: "many" }, /^mcp-background-job: MCP_BG_MAX_JOBS: invalid value "many": expected a positive integer/],
      [["--max-jobs", "0"], {}, /^mcp-background-job: --max-jobs: invalid value "0"/],
      [[], { MCP_BG_MAX_OUTPUT_SIZE: "12 parsecs" }, /MCP_BG_MAX_OUTPUT_SIZE: invalid value "12 parsecs": expected a size/],
      [[], { MCP_BG_ALLOWED_COMMANDS: "^npm,([" }, /MCP_BG_ALLOWED_COMMANDS: invalid value/],
      [["--working-dir", "/definitely/missing"], {}, /--working-dir: invalid value "\/definitely\/missing": expected an existing directory/],
      [[], { MCP_BG_KILL_GRACE: "soon" }, /MCP_BG_KILL_GRACE/],
      [["--bogus"], {}, /unknown argument "--bogus"/]
    ]
    for (const [args, env, message] of cases) {
      const result = await runBin(args, env)
      assert.strictEqual(result.code, 2, `${JSON.stringify([args, env])}: ${result.stderr}`)
      assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr)
      assert.match(result.stderr, message)
      assert.strictEqual(result.stdout, "")
    }
  })

  it("answers --help and --version", async () => {
    const help = await runBin(["--help"])
    assert.strictEqual(help.code, 0)
    for (const flag of ["--max-jobs", "--max-output-size", "--job-timeout", "--cleanup-interval", "--working-dir", "--allowed-commands", "--shell", "--kill-grace", "--log-level"]) {
      assert.include(help.stdout, flag)
    }
    const version = await runBin(["--version"])
    assert.strictEqual(version.code, 0)
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/)
  })
})
