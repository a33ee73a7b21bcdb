/**
 * Guarantee 5 over MCP: a job that exits in the middle of a large write (EPIPE) is a tool error, never a crash,
 * and the built server keeps serving.
 */
import { afterEach, describe, expect, it } from "vitest"
import { startServer, type StdioServer, textOf } from "../../support/lifecycle.js"

const TEN_MB = 10 * 1024 * 1024

describe("stdin over MCP", () => {
  let server: StdioServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it("survives a job that exits in the middle of a large write (EPIPE) and keeps serving", async () => {
    server = await startServer()
    const { job_id } = await server.structured<{ job_id: string }>("execute", { command: "head -c 1000 > /dev/null" })
    const result = await server.call("interact", { job_id, input: "z".repeat(TEN_MB), timeout_ms: 10_000 })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/does not accept input|is not running|not reading its stdin/)
    const list = await server.structured<{ jobs: Array<{ job_id: string }> }>("list")
    expect(list.jobs.map((job) => job.job_id)).toContain(job_id)
    const ended = await server.structured<{ status: string }>("wait", { job_id, timeout_s: 30 })
    expect(ended.status).toBe("completed")
  })
})
