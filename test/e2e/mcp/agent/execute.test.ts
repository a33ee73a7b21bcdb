import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { connectForBlock, nodeScript, transports } from "../../../support/agentHarness.js"
import { eventually } from "../../../support/polling.js"
import { uniqueMarker } from "../../../support/processes.js"
import { tempDirForBlock } from "../../../support/tempDir.js"

describe.each(transports)("execute over %s", (transport) => {
  const marker = uniqueMarker("execute")
  const directory = tempDirForBlock("mbj-execute-")
  beforeAll(() => {
    fs.mkdirSync(path.join(directory(), "app", "src"), { recursive: true })
  })
  const [harness] = connectForBlock(transport, marker, () => ({ workingDir: directory() }))

  it("without wait_ms answers at once with the id of a running job", async () => {
    const result = await harness.call("execute", { command: nodeScript("setInterval(() => {}, 1000)", marker) })
    expect(result).toMatchObject({ status: "running" })
    expect(result.job_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.pid).toBeGreaterThan(0)
    expect(Object.keys(result).sort()).toEqual(["cursor", "job_id", "pid", "started", "status"])
    await harness.call("kill", { job_id: result.job_id })
  })

  it("returns a cursor at the start of the job, so a wait misses nothing printed before it began", async () => {
    const result = await harness.call("execute", { command: "echo ready; sleep 30 # " + marker })
    // The line is printed before the wait begins; with the cursor it still counts.
    await eventually(async () => (await harness.call("status", { job_id: result.job_id })).stdout_bytes !== 0)
    const ready = await harness.call("wait", { job_id: result.job_id, cursor: result.cursor, until: "^ready$", timeout_s: 60 })
    expect(ready).toMatchObject({ reason: "matched", stdout: "ready\n" })
    await harness.call("kill", { job_id: result.job_id })
  })

  it("with wait_ms, a fast job comes back finished with its exit code and output", async () => {
    const result = await harness.call("execute", {
      command: "echo hello; echo problem >&2; exit 4",
      wait_ms: 30_000
    })
    expect(result).toMatchObject({ status: "failed", exit_code: 4, stdout: "hello\n", stderr: "problem\n", truncated: false })
    // The cursor continues after what was returned.
    expect(await harness.call("output", { job_id: result.job_id, cursor: result.cursor })).toMatchObject({ stdout: "", stderr: "" })
  })

  it("with wait_ms, a slow job comes back running after wait_ms with the output so far, and keeps running", async () => {
    const began = Date.now()
    let progress = 0
    const result = await harness.call("execute", {
      // The shell prints the first line: a Node start slowed by a loaded machine cannot miss the 1.5 s window.
      command: `echo started; ${nodeScript("setTimeout(() => console.log('later'), 2500); setInterval(() => {}, 1000)", marker)}`,
      wait_ms: 1500
    }, { onprogress: () => progress++ })
    expect(Date.now() - began).toBeGreaterThanOrEqual(1400)
    // A progress notification a second while it waits, when the client asks for them.
    expect(progress).toBe(1)
    expect(result).toMatchObject({ status: "running", exit_code: null, stdout: "started\n", stderr: "" })
    const later = await harness.call("wait", { job_id: result.job_id, cursor: result.cursor, until: "later", timeout_s: 60 })
    expect(later).toMatchObject({ reason: "matched", stdout: "later\n", status: "running" })
    await harness.call("kill", { job_id: result.job_id })
  })

  it("stdin null: a program that reads gets end-of-file at once instead of hanging", async () => {
    const result = await harness.call("execute", {
      command: "if read x; then echo \"got $x\"; else echo eof; fi",
      stdin: "null",
      wait_ms: 30_000
    })
    expect(result).toMatchObject({ status: "completed", exit_code: 0, stdout: "eof\n" })
    const status = await harness.call("status", { job_id: result.job_id })
    expect(status).toMatchObject({ stdin: "null", stdin_open: false })
    expect(await harness.callError("interact", { job_id: result.job_id, input: "x" })).toMatch(/not running|does not accept input/)
  })

  it("stdin null on a running job: interact is refused and says why", async () => {
    const result = await harness.call("execute", { command: nodeScript("setInterval(() => {}, 1000)", marker), stdin: "null" })
    expect(await harness.callError("interact", { job_id: result.job_id, input: "x" })).toMatch(/stdin set to null/)
    expect((await harness.call("status", { job_id: result.job_id })).status).toBe("running")
    await harness.call("kill", { job_id: result.job_id })
  })

  it("cwd relative to the working directory, env added to the inherited environment", async () => {
    const result = await harness.call("execute", {
      command: "pwd; echo \"$GREETING $NAME\"; test -n \"$PATH\" && echo has-path",
      cwd: "app/src",
      env: { GREETING: "hello", NAME: "agent with spaces" },
      wait_ms: 30_000
    })
    expect(result).toMatchObject({
      status: "completed",
      stdout: `${path.join(directory(), "app", "src")}\nhello agent with spaces\nhas-path\n`
    })
    const status = await harness.call("status", { job_id: result.job_id })
    expect(status.cwd).toBe(path.join(directory(), "app", "src"))
  })

  it("timeout_s overrides the default: the job ends as timed_out", async () => {
    const result = await harness.call("execute", {
      command: nodeScript("console.log('working'); setInterval(() => {}, 1000)", marker),
      timeout_s: 1,
      wait_ms: 30_000
    })
    expect(result).toMatchObject({ status: "timed_out", stdout: "working\n" })
    expect((await harness.call("status", { job_id: result.job_id })).timeout_s).toBe(1)
  })
})

describe.each(transports)("list within the result budget over %s", (transport) => {
  const marker = uniqueMarker("list-budget")
  const [harness] = connectForBlock(transport, marker, () => ({ maxResultSize: 1024 }))

  it("shortens long commands and leaves the oldest jobs out, counting them", async () => {
    const long = `true ${"x".repeat(300)} # ${marker}`
    const ids: Array<string> = []
    for (let i = 0; i < 3; i++) {
      const started = await harness.call("execute", { command: long, wait_ms: 10_000 })
      expect(started.status).toBe("completed")
      ids.push(started.job_id as string)
    }
    const listed = await harness.call<{ jobs: Array<{ job_id: string; command: string }>; omitted_jobs?: number }>("list")
    expect(listed.jobs.map((job) => job.job_id)).toEqual([ids[2], ids[1]])
    expect(listed.omitted_jobs).toBe(1)
    for (const job of listed.jobs) {
      expect(job.command).toHaveLength(200)
      expect(job.command.endsWith("…")).toBe(true)
    }
    // status still has the whole command.
    expect((await harness.call("status", { job_id: ids[0] })).command).toBe(long)
  })
})
