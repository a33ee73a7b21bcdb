/**
 * Guarantee 1: `kill` reaches every process the job started — background children, deep trees, processes
 * that ignore SIGTERM, and processes that left the job's process group with `setsid` — and answers at once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { expectEventually, type InProcessJobs, inProcessJobs, type MarkedSleep, markedSleep, pidAlive } from "../../support/lifecycle.js"

const GRACE_MS = 1500
/** Killed processes must be gone within the grace period plus this (generous under load; the guarantee is 1 s). */
const MARGIN_MS = 4000

describe("kill reaches the whole process tree", () => {
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

  /** Starts the job, waits until `sleepers` marked sleeps run, kills it, and checks the answer and status at once. */
  const startAndKill = async (command: string, sleepers: number) => {
    const job = await jobs.run((j) => j.execute({ command }))
    await expectEventually(`${sleepers} sleeps run`, () => sleep.sleepers() === sleepers)
    const killed = await jobs.run((j) => j.kill(job.id))
    const aliveRightAfterKill = sleep.sleepers()
    const status = await jobs.run((j) => j.status(job.id))
    expect(killed).toBe("killed")
    expect(status.status).toBe("killed")
    return { job, aliveRightAfterKill }
  }

  it("stops background children", async () => {
    await startAndKill(`${sleep.sleep} 300 & ${sleep.sleep} 301 & ${sleep.sleep} 302`, 3)
    await expectEventually("no process of the job is left", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })

  it("stops a three-level tree", async () => {
    const s = sleep.sleep
    await startAndKill(`sh -c "sh -c '${s} 300 & ${s} 301' & ${s} 302" & ${s} 303`, 4)
    await expectEventually("no process of the job is left", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })

  it("answers at once and SIGKILLs a child that ignores SIGTERM after the grace period", async () => {
    const { job, aliveRightAfterKill } = await startAndKill(`trap '' TERM; ${sleep.sleep} 300`, 1)
    // The call did not wait for the grace period: the child that ignores SIGTERM was still there when it answered.
    expect(aliveRightAfterKill).toBe(1)
    await expectEventually("the child is gone", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
    expect((await jobs.run((j) => j.status(job.id))).status).toBe("killed")
  })

  it("SIGKILLs a grandchild that ignores SIGTERM when its parent exits at once", async () => {
    // The outer shell dies on SIGTERM; the inner shell and its sleep ignore it.
    const { job } = await startAndKill(`sh -c "trap '' TERM; ${sleep.sleep} 300" & wait`, 1)
    await expectEventually("the job's shell is gone", () => !pidAlive(job.pid), GRACE_MS + MARGIN_MS)
    await expectEventually("the grandchild is gone", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
    const status = await jobs.run((j) => j.status(job.id))
    expect(status.status).toBe("killed")
  })

  it("stops a process that left the group with setsid while the shell runs", async () => {
    await startAndKill(`setsid ${sleep.sleep} 300 & ${sleep.sleep} 301`, 2)
    await expectEventually("the escaped process is gone too", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })

  it("stops a process that left the group and cleared its environment, through its parent link", async () => {
    await startAndKill(`env -i setsid ${sleep.sleep} 300 & ${sleep.sleep} 301`, 2)
    await expectEventually("the escaped process is gone too", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })

  it("stops a process that left with setsid -f (orphaned at once), through the job's marker variable", async () => {
    await startAndKill(`setsid -f ${sleep.sleep} 300; ${sleep.sleep} 301`, 2)
    await expectEventually("the orphaned process is gone too", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })

  it("stops the whole tree when the time limit passes", async () => {
    const job = await jobs.run((j) =>
      j.execute({ command: `${sleep.sleep} 300 & setsid ${sleep.sleep} 301 & ${sleep.sleep} 302`, timeout: "1 second" })
    )
    await expectEventually("the job timed out", async () => (await jobs.run((j) => j.status(job.id))).status === "timed_out")
    await expectEventually("no process of the job is left", () => sleep.live() === 0, GRACE_MS + MARGIN_MS)
  })
})
