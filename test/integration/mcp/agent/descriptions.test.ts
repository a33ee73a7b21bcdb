import type { Tool } from "@modelcontextprotocol/sdk/types.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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

  it("each description says in two or three sentences when to use the tool and what it returns", () => {
    for (const tool of tools) {
      const count = sentences(tool.description ?? "").length
      expect(count, `${tool.name}: ${tool.description}`).toBeGreaterThanOrEqual(2)
      expect(count, `${tool.name}: ${tool.description}`).toBeLessThanOrEqual(3)
      expect(tool.title, tool.name).toBeTruthy()
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool.description ?? ""]))
    expect(byName.get("status")).toMatch(/call wait instead of polling/)
    expect(byName.get("wait")).toMatch(/Prefer this over polling status/)
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

  it("every tool declares an output schema with its fields", () => {
    for (const tool of tools) {
      const schema = tool.outputSchema
      expect(schema, tool.name).toBeDefined()
      expect(schema?.type).toBe("object")
      expect(Object.keys(schema?.properties ?? {}).length, tool.name).toBeGreaterThan(0)
      expect(JSON.stringify(schema)).not.toContain("$ref")
    }
  })

  it("results match the declared output schemas (the client validates structuredContent)", async () => {
    // A result that does not match makes callTool throw in the SDK client; exercise every tool once.
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
