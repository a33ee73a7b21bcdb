/**
 * Guarantee 8: protocol robustness over stdio. A malformed line, an unknown method, a tool call with wrong
 * argument types and an argument of several megabytes each get an answer (a JSON-RPC error, or a tool error
 * where the protocol says so), and the server goes on serving; stdout never carries anything else.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it } from "vitest"
import { expectEventually } from "../../support/polling.js"
import { type RawServer, startRawServerForTest } from "../../support/rawServer.js"
import { textOf } from "../../support/toolResults.js"

const MiB = 1024 * 1024

describe("protocol robustness over stdio", () => {
  /** The server still answers a normal request. */
  const stillServing = async (running: RawServer) => {
    const listed = await running.tool<{ jobs: Array<unknown> }>("list")
    expect(Array.isArray(listed.jobs)).toBe(true)
  }

  /** The first answer with id null (to an unreadable request) among the messages after the first `from`. */
  const nullAnswerAfter = async (running: RawServer, from: number) => {
    const find = () => running.messages.slice(from).find((message) => message.id === null && message.method === undefined)
    await expectEventually("the server answers the unreadable line", () => find() !== undefined)
    return find()
  }

  it("answers every bad message and keeps serving", { timeout: 120_000 }, async () => {
    const running = startRawServerForTest()
    await running.initialize()

    let from = running.messages.length
    running.sendLine("this is not json")
    const notJson = await nullAnswerAfter(running, from)
    expect(notJson?.error?.code).toBe(-32700)
    await stillServing(running)

    from = running.messages.length
    running.sendLine(JSON.stringify({ hello: "world" }))
    const notRpc = await nullAnswerAfter(running, from)
    expect(notRpc?.error?.code).toBe(-32600)
    await stillServing(running)

    running.sendLine(JSON.stringify({ jsonrpc: "2.0", id: "unknown-method", method: "no/such/method", params: {} }))
    const unknownMethod = await running.answerTo("unknown-method")
    expect(unknownMethod.error?.code).toBe(-32601)
    await stillServing(running)

    running.sendLine(JSON.stringify({ jsonrpc: "2.0", id: "bad-params", method: "tools/call", params: { name: 5 } }))
    const badParams = await running.answerTo("bad-params")
    expect(badParams.error).toBeDefined()
    await stillServing(running)

    const unknownTool = await running.request("tools/call", { name: "no_such_tool", arguments: {} })
    expect(unknownTool.error?.message).toContain("Unknown tool")
    await stillServing(running)

    const wrongTypes = await running.request("tools/call", { name: "execute", arguments: { command: 42, timeout_s: "soon" } })
    const wrongTypesResult = wrongTypes.result as CallToolResult | undefined
    expect(wrongTypesResult?.isError).toBe(true)
    expect(textOf(wrongTypesResult!)).toMatch(/^Invalid arguments for execute: .*command.*timeout_s/)
    await stillServing(running)

    // Several megabytes in one argument: refused with a tool error (a command must fit in one argument) ...
    const hugeCommand = await running.request("tools/call", { name: "execute", arguments: { command: `echo ${"a".repeat(6 * MiB)}` } })
    const hugeCommandResult = hugeCommand.result as CallToolResult | undefined
    expect(hugeCommandResult?.isError).toBe(true)
    expect(textOf(hugeCommandResult!)).toContain("at most 128 KiB in one argument")
    await stillServing(running)

    // ... or taken whole where it fits: 8 MB of input to a job that reads it.
    const reader = await running.tool<{ job_id: string }>("execute", { command: "wc -c" })
    const input = "b".repeat(8 * MiB)
    const written = await running.tool<{ status: string; stdout: string }>("interact", {
      job_id: reader.job_id,
      input,
      eof: true,
      timeout_ms: 60_000
    })
    expect(written.status).toBe("completed")
    expect(written.stdout.trim()).toBe(String(8 * MiB + 1))
    await stillServing(running)

    running.child.stdin!.end()
    expect(await running.exited).toEqual({ code: 0, signal: null })
    expect(running.strayLines).toEqual([])
  })
})
