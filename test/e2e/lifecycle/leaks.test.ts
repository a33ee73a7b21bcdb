/**
 * Guarantee 6: nothing leaks. Many short jobs one after another leave the server's open file descriptors,
 * its job table and its children as they were; 200 jobs at once are all tracked and listed, the 201st is
 * refused, and killing them all leaves no process. (1500 jobs in a row: sequentialJobs.test.ts.)
 */
import { describe, expect, it, onTestFinished } from "vitest"
import { markedSleep } from "../../support/markedSleep.js"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { expectEventually } from "../../support/polling.js"
import { openFds, zombieChildren } from "../../support/processes.js"
import { type Listed, textOf } from "../../support/toolResults.js"

describe("no leaks", () => {
  it("tracks and lists 200 jobs at once, refuses the 201st, and kill leaves no process", async () => {
    const marked = markedSleep()
    onTestFinished(marked.dispose)
    const running = await connectStdioForTest({ MCP_BG_MAX_JOBS: "200", MCP_BG_KILL_GRACE: "2", MCP_BG_CLEANUP_INTERVAL: "0.2" })
    const fdsBefore = openFds(running.pid)
    const started = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        running.call<{ job_id: string; status: string }>("execute", { command: `${marked.sleep} 300 ${i}` }))
    )
    expect(started.every((job) => job.status === "running")).toBe(true)
    expect(new Set(started.map((job) => job.job_id)).size).toBe(200)

    const refused = await running.result("execute", { command: `${marked.sleep} 300` })
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toContain("Job limit reached: 200 jobs are running")

    // The list stays within the result budget: the newest jobs, and a count of the older ones it leaves out.
    const listed = await running.call<Listed & { omitted_jobs?: number }>("list")
    expect(listed.jobs.length + (listed.omitted_jobs ?? 0)).toBe(200)
    expect(listed.jobs.length).toBeGreaterThan(100)
    const ids = new Set(started.map((job) => job.job_id))
    expect(new Set(listed.jobs.map((job) => job.job_id)).size).toBe(listed.jobs.length)
    expect(listed.jobs.every((job) => ids.has(job.job_id))).toBe(true)
    expect(listed.jobs.every((job) => job.status === "running")).toBe(true)
    await expectEventually("200 sleeps run", () => marked.sleepers() === 200, 60_000)

    const kills = await Promise.all(started.map((job) => running.call<{ status: string }>("kill", { job_id: job.job_id })))
    expect(kills.every((kill) => kill.status === "killed")).toBe(true)
    await expectEventually("no process of any job is left", () => marked.live() === 0, 30_000)
    await expectEventually("every job is cleaned up", async () => (await running.call<Listed>("list")).jobs.length === 0, 30_000)
    await expectEventually("the descriptors are back", () => openFds(running.pid) <= fdsBefore, 30_000)
    expect(zombieChildren(running.pid)).toBe(0)
  }, 300_000)
})
