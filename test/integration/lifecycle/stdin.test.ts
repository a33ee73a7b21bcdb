/**
 * Guarantee 5: stdin is safe. Input a job never reads fails within its bound and says how much was taken;
 * input to a job whose stdin is closed, or that has ended, is a clear error and never an EPIPE crash; input
 * to `cat` comes back in order. (A job that exits in the middle of a write, over MCP: e2e/lifecycle/stdin.test.ts.)
 */
import * as Either from "effect/Either"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type InProcessJobs, inProcessJobs } from "../../support/lifecycle.js"

const TEN_MB = 10 * 1024 * 1024

describe("stdin", () => {
  let jobs: InProcessJobs

  beforeEach(() => {
    jobs = inProcessJobs({ killGrace: "1 second", cleanupInterval: "60 seconds" })
  })

  afterEach(async () => {
    await jobs.dispose()
  })

  it("fails within the bound, with the count accepted, when the job never reads 10 MB of input, and the runtime keeps answering", async () => {
    const job = await jobs.run((j) => j.execute({ command: "sleep 300" }))
    const pending = jobs.attempt((j) => j.interact(job.id, "x".repeat(TEN_MB), { timeout: "2 seconds" }))
    let settled = false
    void pending.then(() => {
      settled = true
    })
    // While the write is stuck, other operations go on.
    const listed = await jobs.run((j) => j.list)
    const status = await jobs.run((j) => j.status(job.id))
    expect(listed.map((summary) => summary.id)).toContain(job.id)
    expect(status.status).toBe("running")
    expect(settled).toBe(false)

    const result = await pending
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error?._tag).toBe("InputNotAccepted")
    if (error?._tag !== "InputNotAccepted") return
    expect(error.total).toBe(TEN_MB + 1)
    expect(error.accepted).toBeLessThan(error.total)
    expect(error.message).toContain("is not reading its stdin")
    // The job is unharmed.
    expect((await jobs.run((j) => j.status(job.id))).status).toBe("running")
    await jobs.run((j) => j.kill(job.id))
  })

  it("reports a stdin the process closed as StdinClosed, not a crash", async () => {
    const job = await jobs.run((j) => j.execute({ command: "exec 0<&-; sleep 300" }))
    const result = await jobs.attempt((j) => j.interact(job.id, "x".repeat(TEN_MB), { timeout: "5 seconds" }))
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error?._tag).toBe("StdinClosed")
    expect(error?.message).toContain("closed its stdin")
    const again = await jobs.attempt((j) => j.interact(job.id, "hello"))
    expect(Either.isLeft(again) && again.left._tag).toBe("StdinClosed")
    await jobs.run((j) => j.kill(job.id))
  })

  it("reports input after end-of-file as StdinClosed", async () => {
    const job = await jobs.run((j) => j.execute({ command: "cat > /dev/null; sleep 300" }))
    await jobs.run((j) => j.interact(job.id, "last line", { eof: true, idle: "50 millis" }))
    const result = await jobs.attempt((j) => j.interact(job.id, "more"))
    expect(Either.isLeft(result) && result.left._tag).toBe("StdinClosed")
    expect(Either.isLeft(result) && result.left.message).toContain("its stdin was closed")
    await jobs.run((j) => j.kill(job.id))
  })

  it("reports input to an ended job, or one started without stdin, as a clear error", async () => {
    const ended = await jobs.run((j) => j.execute({ command: "true" }))
    await jobs.run((j) => j.wait(ended.id, { timeout: "30 seconds" }))
    const toEnded = await jobs.attempt((j) => j.interact(ended.id, "hello"))
    expect(Either.isLeft(toEnded) && toEnded.left._tag).toBe("JobNotRunning")
    expect(Either.isLeft(toEnded) && toEnded.left.message).toContain("is not running")

    const noStdin = await jobs.run((j) => j.execute({ command: "sleep 300", stdin: "null" }))
    const toNull = await jobs.attempt((j) => j.interact(noStdin.id, "hello"))
    expect(Either.isLeft(toNull) && toNull.left._tag).toBe("StdinClosed")
    await jobs.run((j) => j.kill(noStdin.id))
  })

  it("gives input to cat back in order", async () => {
    const job = await jobs.run((j) => j.execute({ command: "cat" }))
    let expected = ""
    for (let i = 0; i < 100; i++) {
      const line = `line ${i} ${"y".repeat(i * 37)}`
      await jobs.run((j) => j.interact(job.id, line, { idle: "10 millis" }))
      expected += line + "\n"
    }
    const big = Array.from({ length: 20_000 }, (_, i) => `big ${i}`).join("\n")
    await jobs.run((j) => j.interact(job.id, big, { eof: true, idle: "10 millis" }))
    expected += big + "\n"
    const result = await jobs.run((j) => j.wait(job.id, { timeout: "30 seconds" }))
    expect(result.status).toBe("completed")
    expect((await jobs.run((j) => j.output(job.id))).stdout).toBe(expected)
  })
})
