/**
 * Stress: 1500 short jobs in a row through the built server. Prints the server's open descriptors before and
 * after, and checks that they, the job table and the server's children are back where they started.
 */
import { afterEach, describe, expect, it } from "vitest"
import { sequentialJobs, startServer, type StdioServer } from "../lifecycle/support.js"

describe("1500 sequential jobs", () => {
  let server: StdioServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it("leave descriptors, job table and children as they were", async () => {
    server = await startServer({ MCP_BG_CLEANUP_INTERVAL: "0.2" })
    const startedAt = Date.now()
    const result = await sequentialJobs(server, 1500)
    console.log(
      `[stress] 1500 sequential jobs in ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${result.completed} completed; ` +
        `server FDs before ${result.before}, after ${result.after}; zombie children ${result.zombies}`
    )
    expect(result.completed).toBe(1500)
    expect(result.after).toBeLessThanOrEqual(result.before)
    expect(result.zombies).toBe(0)
  })
})
