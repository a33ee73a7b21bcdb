/**
 * Guarantee 5 over MCP: a job that exits in the middle of a large write (EPIPE) is a tool error, never a crash,
 * and the built server keeps serving.
 */
import { describe, expect, it } from "vitest"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { textOf } from "../../support/toolResults.js"

const TEN_MB = 10 * 1024 * 1024

describe("stdin over MCP", () => {
  it("survives a job that exits in the middle of a large write (EPIPE) and keeps serving", async () => {
    const server = await connectStdioForTest()
    const { job_id } = await server.call<{ job_id: string }>("execute", { command: "head -c 1000 > /dev/null" })
    const result = await server.result("interact", { job_id, input: "z".repeat(TEN_MB), timeout_ms: 10_000 })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/does not accept input|is not running|not reading its stdin/)
    const list = await server.call<{ jobs: Array<{ job_id: string }> }>("list")
    expect(list.jobs.map((job) => job.job_id)).toContain(job_id)
    const ended = await server.call<{ status: string }>("wait", { job_id, timeout_s: 30 })
    expect(ended.status).toBe("completed")
  })
})
