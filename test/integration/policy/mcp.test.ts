/**
 * Refusals as an agent sees them over MCP (a tool error naming the simple command and the rule) and as the
 * operator sees them (an info log line with the command and the reason).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JobConfig } from "../../../src/JobConfig.js"
import { JobManager } from "../../../src/JobManager.js"
import * as McpJobServer from "../../../src/mcp/McpJobServer.js"
import { collectingLogger, makeSandbox, type Sandbox } from "../../support/sandbox.js"

describe("refusals over MCP", () => {
  let sandbox: Sandbox
  let client: Client
  let runtime: ManagedRuntime.ManagedRuntime<never, unknown>
  const logs: Array<string> = []

  beforeAll(async () => {
    sandbox = makeSandbox()
    const server = new Server({ name: "test", version: "0" })
    const config = JobConfig.make({ workingDir: sandbox.dir, allowedCommands: ["^echo ", "^ls"], cleanupInterval: 60, killGrace: 1 })
    runtime = ManagedRuntime.make(
      McpJobServer.layer(server).pipe(Layer.provide(JobManager.layerNode(config)), Layer.provide(collectingLogger(logs)))
    )
    await runtime.runPromise(Effect.void)
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    client = new Client({ name: "test-client", version: "0" })
    await client.connect(clientSide)
  })
  afterAll(async () => {
    await client.close()
    await runtime.dispose()
    sandbox.remove()
  })

  const text = (result: Awaited<ReturnType<Client["callTool"]>>) =>
    (result.content as Array<{ type: string; text: string }>).map((part) => part.text).join("")

  it("names the refused simple command and the rule, and logs the refusal", async () => {
    const result = await client.callTool({ name: "execute", arguments: { command: "echo ok && rm victim" } })
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
    const result = await client.callTool({ name: "execute", arguments: { command: "echo 'open" } })
    expect(result.isError).toBe(true)
    expect(text(result)).toMatch(/rule syntax: .*syntax error at line 1, column \d+/)
  })

  it("names the wrapper rule and its marker", async () => {
    const result = await client.callTool({ name: "execute", arguments: { command: "ls; nohup ls" } })
    expect(text(result)).toContain("rule not-allowed")
    expect(text(result)).toContain("`nohup ls`")
  })

  it("refuses a cwd outside the working directory with the working-directory rule", async () => {
    const result = await client.callTool({ name: "execute", arguments: { command: "ls", cwd: ".." } })
    expect(result.isError).toBe(true)
    expect(text(result)).toContain("rule working-directory")
  })

  it("still runs allowed commands", async () => {
    const result = await client.callTool({ name: "execute", arguments: { command: "echo 'a;b' && ls", wait_ms: 10_000 } })
    expect(result.isError).not.toBe(true)
    expect(JSON.stringify(result.structuredContent)).toContain("a;b")
  })
})
