/**
 * The built `bin` over stdio: start-up, a full job round trip, bad configuration, and shutdown.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { assert, describe, it, onTestFinished } from "vitest"
import { runBin } from "../../support/bin.js"
import { initializedNotification, initializeRequest } from "../../support/jsonRpc.js"
import { markedSleep } from "../../support/markedSleep.js"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"
import { startRawServerForTest } from "../../support/rawServer.js"

describe("stdio server", () => {
  it("starts, runs a job end to end, and stops its jobs when stdin closes", async () => {
    const { sleep, sleepers, live, dispose } = markedSleep()
    onTestFinished(dispose)
    const server = await connectStdioForTest({ MCP_BG_KILL_GRACE: "1" })
    const { client } = server
    assert.strictEqual(client.getServerVersion()?.name, "mcp-background-job")
    assert.match(client.getInstructions() ?? "", /wait/)

    const echo = await server.call("execute", { command: "echo round trip; exit 0" })
    const done = await server.call("wait", { job_id: echo["job_id"], timeout_s: 10, cursor: undefined })
    assert.strictEqual(done["status"], "completed")
    const output = await server.call("output", { job_id: echo["job_id"] })
    assert.strictEqual(output["stdout"], "round trip\n")

    await server.call("execute", { command: `${sleep} 300 & ${sleep} 300` })
    await server.call("execute", { command: `trap '' TERM; ${sleep} 300` })
    assert.isTrue(await eventually(() => sleepers() === 3))
    const serverPid = server.pid
    assert.isNotNull(serverPid)

    await server.close() // closes the server's stdin
    const gone = await eventually(() => live() === 0, 1_000 + 3_000)
    assert.isTrue(gone, "no job process is left after stdin closes")
    assert.isTrue(await eventually(() => {
      try {
        process.kill(serverPid, 0)
        return false
      } catch {
        return true
      }
    }, 5_000), "the server exits")
  })

  it("writes only protocol messages on stdout and exits 0 when stdin closes", async () => {
    const server = startRawServerForTest({ MCP_BG_LOG_LEVEL: "debug" })
    server.send(initializeRequest(1))
    server.send(initializedNotification)
    server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: "echo hi", wait_ms: 5000 } } })
    assert.isTrue(await eventually(() => server.messages.some((m) => m.id === 2), 10_000))
    const reply = server.messages.find((m) => m.id === 2)?.result as CallToolResult | undefined
    assert.strictEqual((reply!.structuredContent as Record<string, unknown>)["stdout"], "hi\n")
    server.child.stdin!.end()
    const exit = await server.closed
    assert.strictEqual(exit.code, 0)
    assert.deepStrictEqual(server.strayLines, [])
    assert.match(server.stderr(), /job started/, "logs go to stderr")
  })

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`on ${signal} stops every job and exits 0`, async () => {
      const { sleep, sleepers, live, dispose } = markedSleep()
      onTestFinished(dispose)
      const server = startRawServerForTest({ MCP_BG_KILL_GRACE: "1" })
      server.send(initializeRequest(1))
      server.send(initializedNotification)
      server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "execute", arguments: { command: `trap '' TERM; ${sleep} 300 & ${sleep} 300` } } })
      assert.isTrue(await eventually(() => sleepers() === 2))
      server.child.kill(signal)
      const exit = await server.closed
      assert.strictEqual(exit.code, 0)
      assert.strictEqual(live(), 0)
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
