/**
 * 1500 short jobs in a row through the built server (`npm run test:stress`: 6000). Prints the server's open
 * descriptors before and after, and checks that they, the job table and the server's children are back where
 * they started.
 */
import { describe, expect, it } from "vitest"
import { connectStdioForTest, type StdioConnection } from "../../support/mcpClient.js"
import { expectEventually } from "../../support/polling.js"
import { openFds, zombieChildren } from "../../support/processes.js"
import type { Listed } from "../../support/toolResults.js"

/** `npm run test:stress` multiplies the count. */
const COUNT = 1500 * Number(process.env["MBJ_STRESS_SCALE"] ?? "1")

/** Runs `count` short jobs one after another, each to its end; returns the open descriptors before and after. */
const sequentialJobs = async (server: StdioConnection, count: number) => {
  // One job first, so that everything the server opens once (the spawner's machinery) is open already.
  await server.call("execute", { command: "true", wait_ms: 30_000 })
  await expectEventually("the first job is cleaned up", async () => (await server.call<Listed>("list")).jobs.length === 0)
  const before = openFds(server.pid)
  let completed = 0
  for (let i = 0; i < count; i++) {
    const result = await server.call<{ status: string; stdout: string }>("execute", {
      command: `echo job ${i}`,
      wait_ms: 30_000
    })
    if (result.status === "completed" && result.stdout === `job ${i}\n`) completed++
  }
  await expectEventually("every job is cleaned up", async () => (await server.call<Listed>("list")).jobs.length === 0, 30_000)
  await expectEventually("the descriptors are back", () => openFds(server.pid) <= before, 30_000)
  return { completed, before, after: openFds(server.pid), zombies: zombieChildren(server.pid) }
}

describe(`${COUNT} sequential jobs`, () => {
  it("leave descriptors, job table and children as they were", { timeout: 300_000 * Number(process.env["MBJ_STRESS_SCALE"] ?? "1") }, async () => {
    const server = await connectStdioForTest({ MCP_BG_CLEANUP_INTERVAL: "0.2" })
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
