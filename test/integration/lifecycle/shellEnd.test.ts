/**
 * Guarantee 2: a job ends when its shell ends, even while a background child keeps the output pipe open;
 * its output stays readable, and what the shell left behind is swept (SIGTERM, grace, SIGKILL).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { expectEventually, type InProcessJobs, inProcessJobs, type MarkedSleep, markedSleep } from "../../support/lifecycle.js"

const GRACE_MS = 1500

describe("a job ends when its shell ends", () => {
  let jobs: InProcessJobs
  let sleep: MarkedSleep

  beforeEach(() => {
    jobs = inProcessJobs({ killGrace: GRACE_MS, cleanupInterval: "60 seconds" })
    sleep = markedSleep()
  })

  afterEach(async () => {
    await jobs.dispose()
    sleep.dispose()
  })

  it("completes within a second while a background child holds the pipe, and sweeps the child", async () => {
    const job = await jobs.run((j) => j.execute({ command: `${sleep.sleep} 60 & echo hi` }))
    const result = await jobs.run((j) => j.wait(job.id, { timeout: "30 seconds", fromStart: true }))
    expect(result.reason).toBe("exited")
    expect(result.status).toBe("completed")
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe("hi\n")
    const status = await jobs.run((j) => j.status(job.id))
    // Measured on the job's own clock: from before the spawn to the decision that it ended.
    expect(status.durationMs).toBeLessThan(1000)
    expect((await jobs.run((j) => j.output(job.id))).stdout).toBe("hi\n")
    await expectEventually("the background child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
    // Sweeping what the shell left does not change how the job ended.
    expect((await jobs.run((j) => j.status(job.id))).status).toBe("completed")
  })

  it("sweeps a leftover child that ignores SIGTERM with SIGKILL after the grace period", async () => {
    // The shell ignores SIGTERM before it forks, so the child ignores it from its first instruction.
    const job = await jobs.run((j) => j.execute({ command: `trap '' TERM; ${sleep.sleep} 60 & echo hi; exit 3` }))
    const result = await jobs.run((j) => j.wait(job.id, { timeout: "30 seconds", fromStart: true }))
    expect(result.status).toBe("failed")
    expect(result.exitCode).toBe(3)
    expect(result.stdout).toBe("hi\n")
    // SIGTERM alone does not end it: it is still there after the job ended, until the grace period passes.
    expect(sleep.live()).toBe(1)
    await expectEventually("the leftover child is gone", () => sleep.live() === 0, GRACE_MS + 4000)
    expect((await jobs.run((j) => j.status(job.id))).status).toBe("failed")
  })

  it("sweeps a child that left the group with setsid -f after the shell exited", async () => {
    const job = await jobs.run((j) => j.execute({ command: `setsid -f ${sleep.sleep} 60; echo started` }))
    const result = await jobs.run((j) => j.wait(job.id, { timeout: "30 seconds", fromStart: true }))
    expect(result.status).toBe("completed")
    expect(result.stdout).toBe("started\n")
    await expectEventually("the escaped child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
  })

  it("sweeps a child that leaves the group with setsid while the sweep after the shell's exit is under way", async () => {
    // The subshell outlives the shell and ignores the sweep's SIGTERM; it leaves the group only later, so the
    // process is linked to the job by its marker alone (its parent, setsid -f, is gone at once).
    const job = await jobs.run((j) => j.execute({ command: `(trap '' TERM; sleep 0.3; setsid -f ${sleep.sleep} 60) & echo started` }))
    const result = await jobs.run((j) => j.wait(job.id, { timeout: "30 seconds", fromStart: true }))
    expect(result.stdout).toBe("started\n")
    await expectEventually("the escaped child is swept", () => sleep.live() === 0, GRACE_MS + 4000)
  })
})
