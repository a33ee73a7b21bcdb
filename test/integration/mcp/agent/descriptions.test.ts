import type { Tool } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { instructions } from "../../../../src/mcp/stdio.js"
import { connectInMemory, type McpConnection } from "../../../support/mcpClient.js"

/** Sentences of a description, not counting the dots of "e.g." or of "..." lists. */
const sentences = (text: string) =>
  text.replace(/e\.g\./g, "eg").replace(/\.\.\./g, "…").split(/[.!?](?:\s|$)/).filter((part) => part.trim() !== "")

describe("tool descriptions and schemas", () => {
  let harness: McpConnection
  let tools: Array<Tool>

  beforeAll(async () => {
    harness = await connectInMemory()
    tools = (await harness.client.listTools()).tools
  })

  afterAll(async () => {
    await harness?.close()
  })

  it("lists the nine job tools", () => {
    expect(tools.map((tool) => tool.name)).toEqual([
      "execute",
      "list",
      "status",
      "output",
      "tail",
      "interact",
      "kill",
      "wait",
      "restart"
    ])
  })

  it("each description says in one or two sentences what the tool does; the flow is in the instructions", () => {
    for (const tool of tools) {
      const count = sentences(tool.description ?? "").length
      expect(count, `${tool.name}: ${tool.description}`).toBeGreaterThanOrEqual(1)
      expect(count, `${tool.name}: ${tool.description}`).toBeLessThanOrEqual(2)
      expect(tool.title, tool.name).toBeTruthy()
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool.description ?? ""]))
    expect(byName.get("status")).toMatch(/call wait instead of polling/)
    expect(instructions).toMatch(/never poll status or sleep/)
    expect(instructions).toMatch(/notices/)
    expect(instructions).toMatch(/remaining_bytes/)
  })

  it("tools/list stays within 10 KB of JSON, and each description and the instructions within Claude Code's 2 KB cut", () => {
    expect(JSON.stringify({ tools }).length).toBeLessThanOrEqual(10 * 1024)
    for (const tool of tools) expect((tool.description ?? "").length, tool.name).toBeLessThan(2048)
    expect(instructions.length).toBeLessThan(2048)
  })

  it("every argument has a description; schemas are inline objects without $ref", () => {
    for (const tool of tools) {
      expect(JSON.stringify(tool.inputSchema)).not.toContain("$ref")
      expect(tool.inputSchema.type).toBe("object")
      for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
        const description = (property as { description?: string }).description
        expect(description, `${tool.name}.${name}`).toMatch(/\w{3,}.*\w{3,}/)
      }
    }
  })

  it("declares no output schema (agents do not read it) and the result size Claude Code should keep", () => {
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeUndefined()
      expect(tool._meta?.["anthropic/maxResultSizeChars"], tool.name).toBeGreaterThan(2 * 32 * 1024)
    }
  })

  it("every tool answers with structured content and the same JSON as text", async () => {
    // harness.call checks structuredContent against the JSON text; exercise every tool once.
    const job = await harness.call("execute", { command: "echo hi; read x; echo \"got $x\"" })
    const id = job.job_id as string
    await harness.call("list")
    await harness.call("status", { job_id: id })
    await harness.call("output", { job_id: id })
    await harness.call("tail", { job_id: id })
    await harness.call("interact", { job_id: id, input: "there", until: "got" })
    await harness.call("wait", { job_id: id, timeout_s: 30 })
    const restarted = await harness.call("restart", { job_id: id })
    expect(await harness.call("kill", { job_id: restarted.job_id })).toEqual({ status: "killed" })
    expect(await harness.call("kill", { job_id: "nothing" })).toEqual({ status: "not_found" })
    await harness.call("execute", { command: "true", wait_ms: 30_000, env: { A: "b" }, stdin: "null", timeout_s: 30 })
  })
})
