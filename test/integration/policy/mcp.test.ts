/**
 * Refusals as an agent sees them over MCP (a tool error naming the simple command and the rule) and as the
 * operator sees them (an info log line with the command and the reason).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectInMemory, type McpConnection } from "../../support/mcpClient.js"
import { makeSandbox, type Sandbox } from "../../support/sandbox.js"

describe("refusals over MCP", () => {
  let sandbox: Sandbox
  let connection: McpConnection
  const logs: Array<string> = []

  beforeAll(async () => {
    sandbox = makeSandbox()
    connection = await connectInMemory(
      { workingDir: sandbox.dir, allowedCommands: ["^echo ", "^ls"], cleanupInterval: "60 millis", killGrace: "1 millis" },
      { logs }
    )
  })
  afterAll(async () => {
    await connection.close()
    sandbox.remove()
  })

  const execute = (args: Record<string, unknown>) => connection.result("execute", args)

  const text = (result: CallToolResult) =>
    (result.content as Array<{ type: string; text: string }>).map((part) => part.text).join("")

  it("names the refused simple command and the rule, and logs the refusal", async () => {
    const result = await execute({ command: "echo ok && rm victim" })
    expect(result.isError).toBe(true)
    expect(text(result)).toContain("rule not-allowed")
    expect(text(result)).toContain("`rm victim`")
    expect(sandbox.untouched()).toBe(true)
    const line = logs.find((l) => l.includes("command refused") && l.includes("rm victim"))
    expect(line).toBeDefined()
    expect(line).toMatch(/^INFO /)
    expect(line).toContain("\"rule\":\"not-allowed\"")
  })

  it("reports the parser's message for a command that does not parse", async () => {
    const result = await execute({ command: "echo 'open" })
    expect(result.isError).toBe(true)
    expect(text(result)).toMatch(/rule syntax: .*syntax error at line 1, column \d+/)
  })

  it("names the wrapper rule and its marker", async () => {
    const result = await execute({ command: "ls; nohup ls" })
    expect(text(result)).toContain("rule not-allowed")
    expect(text(result)).toContain("`nohup ls`")
  })

  it("refuses a cwd outside the working directory with the working-directory rule", async () => {
    const result = await execute({ command: "ls", cwd: ".." })
    expect(result.isError).toBe(true)
    expect(text(result)).toContain("rule working-directory")
  })

  it("still runs allowed commands", async () => {
    const result = await execute({ command: "echo 'a;b' && ls", wait_ms: 10_000 })
    expect(result.isError).not.toBe(true)
    expect(JSON.stringify(result.structuredContent)).toContain("a;b")
  })
})
