import type { Progress } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it } from "vitest"
import { connectForBlock, nodeScript, transports } from "../../../support/agentHarness.js"
import { uniqueMarker } from "../../../support/processes.js"

describe.each(transports)("wait over %s", (transport) => {
  // One server for the block: starting the built server costs a second or two on a loaded machine.
  const marker = uniqueMarker("wait")
  const [harness] = connectForBlock(transport, marker)

  const start = async (script: string) => {
    const started = await harness.call("execute", { command: nodeScript(script, marker) })
    return started.job_id as string
  }

  it("returns when the job exits, with its status, exit code and the output since the cursor", async () => {
    const started = await harness.call("execute", {
      command: nodeScript("setTimeout(() => { console.log('finished'); console.error('oops'); process.exit(3) }, 300)", marker),
      wait_ms: 0
    })
    const result = await harness.call("wait", { job_id: started.job_id, timeout_s: 30, cursor: started.cursor })
    expect(result).toMatchObject({
      reason: "exited",
      status: "failed",
      exit_code: 3,
      matched_line: null,
      stdout: "finished\n",
      stderr: "oops\n",
      truncated: false
    })
  })

  it("returns as soon as until matches a line printed after a second by a running process", async () => {
    const id = await start(
      "console.log('booting'); setTimeout(() => console.log('server ready on port 3000'), 1000); setInterval(() => {}, 1000)"
    )
    const began = Date.now()
    const result = await harness.call("wait", { job_id: id, timeout_s: 60, until: "ready on port \\d+" })
    expect(result).toMatchObject({ reason: "matched", status: "running", exit_code: null, matched_line: "server ready on port 3000" })
    expect(result.stdout).toContain("server ready on port 3000\n")
    // It matched, so it cannot have waited for the 60 s bound.
    expect(Date.now() - began).toBeLessThan(50_000)
    await harness.call("kill", { job_id: id })
  })

  it("returns at the bound with reason timeout and leaves the job running", async () => {
    const id = await start("setInterval(() => console.log('tick'), 200)")
    const result = await harness.call("wait", { job_id: id, timeout_s: 1, until: "never printed" })
    expect(result).toMatchObject({ reason: "timeout", status: "running", matched_line: null })
    expect(result.stdout).toMatch(/tick\n/)
    // The next cursor continues where this wait stopped.
    const next = await harness.call("wait", { job_id: id, timeout_s: 1, cursor: result.cursor, until: "tick" })
    expect(next.reason).toBe("matched")
    expect((await harness.call("status", { job_id: id })).status).toBe("running")
    await harness.call("kill", { job_id: id })
  })

  it("with timeout_s 0 answers at once", async () => {
    const id = await start("setInterval(() => {}, 1000)")
    const result = await harness.call("wait", { job_id: id, timeout_s: 0 })
    expect(result).toMatchObject({ reason: "timeout", status: "running" })
    await harness.call("kill", { job_id: id })
  })

  it("finds until in output already after the given cursor", async () => {
    const started = await harness.call("execute", {
      command: nodeScript("console.log('listening'); setInterval(() => {}, 1000)", marker),
      wait_ms: 0
    })
    const id = started.job_id as string
    await harness.call("wait", { job_id: id, timeout_s: 30, cursor: started.cursor, until: "listening" })
    // From the start of the job the line is there: the call answers at once.
    const again = await harness.call("wait", { job_id: id, timeout_s: 30, cursor: started.cursor, until: "listening" })
    expect(again).toMatchObject({ reason: "matched", matched_line: "listening" })
    // Without a cursor only output after the call counts: it times out.
    const fresh = await harness.call("wait", { job_id: id, timeout_s: 0.5, until: "listening" })
    expect(fresh).toMatchObject({ reason: "timeout", stdout: "" })
    await harness.call("kill", { job_id: id })
  })

  it("sends progress notifications, at most one a second, only when the client asks for them", async () => {
    const id = await start("setInterval(() => {}, 1000)")
    const errorsBefore = harness.clientErrors.length
    const progress: Array<Progress> = []
    const began = Date.now()
    const result = await harness.call("wait", { job_id: id, timeout_s: 2.6 }, { onprogress: (p) => progress.push(p) })
    const elapsedSeconds = (Date.now() - began) / 1000
    expect(result.reason).toBe("timeout")
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.length).toBeLessThanOrEqual(Math.floor(elapsedSeconds))
    progress.forEach((p, index) => {
      expect(p.progress).toBe(index + 1)
      expect(p.message).toContain(id)
    })
    // Without a progress token nothing is sent: a stray notification would reach onerror as an unknown token.
    await harness.call("wait", { job_id: id, timeout_s: 1.5 })
    expect(harness.clientErrors.slice(errorsBefore)).toEqual([])
    await harness.call("kill", { job_id: id })
  })

  it("a cancelled wait ends at once and leaves the job running", async () => {
    const id = await start("let n = 0; setInterval(() => console.log('tick ' + n++), 100)")
    const errorsBefore = harness.clientErrors.length
    const controller = new AbortController()
    let firstProgress: () => void = () => {}
    const waitingOnServer = new Promise<void>((resolve) => (firstProgress = resolve))
    const pending = harness.call(
      "wait",
      { job_id: id, timeout_s: 600, until: "never printed" },
      { signal: controller.signal, onprogress: () => firstProgress(), timeout: 700_000 }
    )
    // The first progress notification shows the wait is running on the server.
    await waitingOnServer
    controller.abort("the agent changed its mind")
    await expect(pending).rejects.toThrow()
    // The server stopped that wait: over the next seconds no progress for it arrives (an unknown token
    // would reach onerror), while another wait on the same job works and the job keeps printing.
    const status = await harness.call("status", { job_id: id })
    expect(status.status).toBe("running")
    const next = await harness.call("wait", { job_id: id, timeout_s: 2.5, until: "tick \\d+" })
    expect(next).toMatchObject({ reason: "matched", status: "running" })
    const quiet = await harness.call("wait", { job_id: id, timeout_s: 1.5 })
    expect(quiet.reason).toBe("timeout")
    expect(harness.clientErrors.slice(errorsBefore)).toEqual([])
    await harness.call("kill", { job_id: id })
  })

  it("serves many waits on one job at once", async () => {
    const id = await start("setTimeout(() => console.log('go go go'), 1000); setInterval(() => {}, 1000)")
    const waits = Array.from({ length: 50 }, (_, index) =>
      harness.call("wait", { job_id: id, timeout_s: 60, until: index % 2 === 0 ? "go" : "go go" }))
    const results = await Promise.all(waits)
    for (const result of results) {
      expect(result).toMatchObject({ reason: "matched", matched_line: "go go go", status: "running" })
    }
    await harness.call("kill", { job_id: id })
  })

  it("serves waits on many jobs at once", async () => {
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        start(`setTimeout(() => { console.log('job ${index} done'); process.exit(${index}) }, ${300 + 150 * index})`))
    )
    const results = await Promise.all(ids.map((id) => harness.call("wait", { job_id: id, timeout_s: 60 })))
    results.forEach((result, index) => {
      expect(result).toMatchObject({ reason: "exited", exit_code: index, status: index === 0 ? "completed" : "failed" })
    })
  })

  describe("on several jobs (job_ids)", () => {
    it("returns as soon as the first of three jobs ends, naming it, with its fields", async () => {
      const first = await harness.call("execute", { command: `sh -c 'sleep 0.2; exit 3' # ${marker}` })
      const others = [await start("setInterval(() => {}, 1000)"), await start("setInterval(() => {}, 1000)")]
      const began = Date.now()
      const result = await harness.call("wait", { job_ids: [others[0], first.job_id, others[1]], timeout_s: 60 })
      expect(result).toMatchObject({ job_id: first.job_id, reason: "exited", status: "failed", exit_code: 3 })
      expect(result.jobs).toBeUndefined()
      expect(Date.now() - began).toBeLessThan(30_000)
      for (const id of others) {
        expect((await harness.call("status", { job_id: id })).status).toBe("running")
        await harness.call("kill", { job_id: id })
      }
    })

    it("with until returns for the job that prints the matching line", async () => {
      const quiet = await start("setInterval(() => {}, 1000)")
      const ready = await start("setTimeout(() => console.log('ready on 3000'), 300); setInterval(() => {}, 1000)")
      const result = await harness.call("wait", { job_ids: [quiet, ready], until: "ready on \\d+", timeout_s: 60 })
      expect(result).toMatchObject({ job_id: ready, reason: "matched", matched_line: "ready on 3000", status: "running" })
      await harness.call("kill", { job_id: quiet })
      await harness.call("kill", { job_id: ready })
    })

    it("with all: true returns once every job ended, with an entry per job", async () => {
      const fails = await start("setTimeout(() => process.exit(3), 200)")
      const passes = await start("setTimeout(() => { console.log('all good'); process.exit(0) }, 700)")
      const result = await harness.call("wait", { job_ids: [fails, passes], all: true, timeout_s: 60 })
      expect(result).toMatchObject({ reason: "exited", job_id: passes, status: "completed", stdout: "all good\n" })
      expect(result.jobs).toEqual([
        { job_id: fails, status: "failed", exit_code: 3, reason: "exited" },
        { job_id: passes, status: "completed", exit_code: 0, reason: "exited" }
      ])
    })

    it("with all: true reports a timeout and which jobs are not done", async () => {
      const quick = await start("process.exit(0)")
      const slow = await start("setInterval(() => {}, 1000)")
      const result = await harness.call("wait", { job_ids: [quick, slow], all: true, timeout_s: 1 })
      expect(result).toMatchObject({ reason: "timeout", job_id: slow, status: "running" })
      expect(result.jobs).toEqual([
        { job_id: quick, status: "completed", exit_code: 0, reason: "exited" },
        { job_id: slow, status: "running", exit_code: null, reason: "timeout" }
      ])
      await harness.call("kill", { job_id: slow })
    })

    it("names unknown ids, and refuses job_id with job_ids, a cursor with job_ids, and repeated ids", async () => {
      const id = await start("setInterval(() => {}, 1000)")
      expect(await harness.callError("wait", { job_ids: [id, "no-such-job", "nor-this"], timeout_s: 1 })).toMatch(
        /^Jobs no-such-job, nor-this not found\. Call list/
      )
      expect(await harness.callError("wait", { job_id: id, job_ids: [id] })).toMatch(/job_id for one job or job_ids for several, not both/)
      expect(await harness.callError("wait", { job_ids: [id], cursor: `${id.slice(0, 8)}:0:0` })).toMatch(/cursor belongs to one job/)
      expect(await harness.callError("wait", { job_ids: [id, id] })).toMatch(/job_ids: expected distinct job ids/)
      expect(await harness.callError("wait", { job_ids: [] })).toMatch(/job_ids/)
      expect(await harness.callError("wait", {})).toMatch(/pass job_id .* or job_ids/)
      await harness.call("kill", { job_id: id })
    })
  })
})
