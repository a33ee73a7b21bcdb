/**
 * 1500 short jobs in a row through the built server (`npm run test:stress`: 6000). Prints the server's open
 * descriptors before and after, and checks that they, the job table and the server's children are back where
 * they started.
 */
import { afterEach, describe, expect, it } from "vitest"
import { sequentialJobs, startServer, type StdioServer } from "../../support/lifecycle.js"

/** `npm run test:stress` multiplies the count. */
const COUNT = 1500 * Number(process.env["MBJ_STRESS_SCALE"] ?? "1")

describe(`${COUNT} sequential jobs`, () => {
  let server: StdioServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it("leave descriptors, job table and children as they were", { timeout: 300_000 * Number(process.env["MBJ_STRESS_SCALE"] ?? "1") }, async () => {
    server = await startServer({ MCP_BG_CLEANUP_INTERVAL: "0.2" })
    const startedAt = Date.now()
    const result = await sequentialJobs(server, COUNT)
    console.log(
      `[leaks] ${COUNT} sequential jobs in ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${result.completed} completed; ` +
        `server FDs before ${result.before}, after ${result.after}; zombie children ${result.zombies}`
    )
    expect(result.completed).toBe(COUNT)
    expect(result.after).toBeLessThanOrEqual(result.before)
    expect(result.zombies).toBe(0)
  })
})
