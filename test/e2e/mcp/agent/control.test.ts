import * as net from "node:net"
import { describe, expect, it } from "vitest"
import { connectForBlock, nodeScript, transports } from "../../../support/agentHarness.js"
import { uniqueMarker } from "../../../support/processes.js"

/** A small REPL: `slow` answers after 800 ms, anything else is echoed; end-of-file says bye. */
const repl = "const rl = require('readline').createInterface({ input: process.stdin }); console.log('repl ready'); " +
  "rl.on('line', (line) => { if (line === 'slow') { console.log('thinking...'); setTimeout(() => console.log('result: 42'), 800) } " +
  "else console.log('echo: ' + line) }); rl.on('close', () => { console.log('bye'); process.exit(0) })"

/** A port nobody listens on right now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

describe.each(transports)("interact, kill and restart over %s", (transport) => {
  const marker = uniqueMarker("control")
  const [harness] = connectForBlock(transport, marker)

  const startAndWait = async (script: string, until: string, extra: Record<string, unknown> = {}) => {
    const started = await harness.call("execute", { command: nodeScript(script, marker), wait_ms: 0, ...extra })
    const id = started.job_id as string
    const ready = await harness.call("wait", { job_id: id, cursor: started.cursor, until, timeout_s: 60 })
    expect(ready.reason).toBe("matched")
    return id
  }

  it("interact returns the reply once the job is quiet, or as soon as until matches", async () => {
    const id = await startAndWait(repl, "repl ready")
    const echo = await harness.call("interact", { job_id: id, input: "hello" })
    expect(echo).toMatchObject({ reason: "idle", stdout: "echo: hello\n", stderr: "", status: "running" })
    // Quiet after the first line: without until the call returns before the answer.
    const early = await harness.call("interact", { job_id: id, input: "slow" })
    expect(early).toMatchObject({ reason: "idle", stdout: "thinking...\n" })
    await harness.call("wait", { job_id: id, cursor: early.cursor, until: "result", timeout_s: 30 })
    // With until it waits for the answer, past the quiet gap.
    const answered = await harness.call("interact", { job_id: id, input: "slow", until: "result: \\d+", timeout_ms: 30_000 })
    expect(answered).toMatchObject({ reason: "matched", matched_line: "result: 42", stdout: "thinking...\nresult: 42\n" })
    // eof closes stdin after the write: the REPL sees end-of-file and exits.
    const last = await harness.call("interact", { job_id: id, input: "last words", eof: true, timeout_ms: 30_000 })
    expect(last).toMatchObject({ reason: "exited", status: "completed", exit_code: 0, stdout: "echo: last words\nbye\n" })
    expect(await harness.callError("interact", { job_id: id, input: "more" })).toMatch(/is not running/)
  })

  it("interact with eof finishes sort, which only answers at end-of-file", async () => {
    const started = await harness.call("execute", { command: "sort" })
    const reply = await harness.call("interact", { job_id: started.job_id, input: "pear\napple\nfig", eof: true, timeout_ms: 30_000 })
    expect(reply).toMatchObject({ reason: "exited", status: "completed", stdout: "apple\nfig\npear\n" })
  })

  it("interact times out after timeout_ms on a job that keeps printing but never answers", async () => {
    const id = await startAndWait("setInterval(() => console.log('noise'), 50); process.stdin.resume()", "noise")
    const began = Date.now()
    const reply = await harness.call("interact", { job_id: id, input: "question", until: "answer", timeout_ms: 1000 })
    expect(reply).toMatchObject({ reason: "timeout", status: "running", matched_line: null })
    expect(Date.now() - began).toBeGreaterThanOrEqual(900)
    await harness.call("kill", { job_id: id })
  })

  it("the reply never contains output that arrived before the write", async () => {
    const ticking = "let n = 0; setInterval(() => console.log('tick ' + n++), 10); " +
      "require('readline').createInterface({ input: process.stdin }).on('line', (l) => console.log('echo: ' + l))"
    const id = await startAndWait(ticking, "tick 5")
    for (let round = 0; round < 5; round++) {
      const before = await harness.call("output", { job_id: id })
      const lastBefore = Math.max(...Array.from((before.stdout as string).matchAll(/tick (\d+)/g), (m) => Number(m[1])))
      const reply = await harness.call("interact", { job_id: id, input: `round ${round}`, until: `echo: round ${round}` })
      expect(reply.reason).toBe("matched")
      const ticks = Array.from((reply.stdout as string).matchAll(/tick (\d+)/g), (m) => Number(m[1]))
      for (const tick of ticks) expect(tick).toBeGreaterThan(lastBefore)
      expect(reply.stdout).not.toContain(`echo: round ${round - 1}`)
    }
    await harness.call("kill", { job_id: id })
  })

  it("kill with SIGINT sends Ctrl-C once: the program's handler runs and the job ends as killed", async () => {
    const id = await startAndWait(
      "process.on('SIGINT', () => { console.log('caught SIGINT, shutting down'); setTimeout(() => { console.log('bye'); process.exit(0) }, 300) }); " +
        "console.log('ready'); setInterval(() => {}, 1000)",
      "ready"
    )
    const cursor = (await harness.call("output", { job_id: id })).cursor
    expect(await harness.call("kill", { job_id: id, signal: "SIGINT" })).toEqual({ status: "signalled" })
    const ended = await harness.call("wait", { job_id: id, cursor, timeout_s: 30 })
    expect(ended).toMatchObject({ reason: "exited", status: "killed", stdout: "caught SIGINT, shutting down\nbye\n" })
    expect(await harness.call("kill", { job_id: id })).toEqual({ status: "already_terminated" })
  })

  it("kill with SIGINT on a shell script that traps it: the trap runs and prints", async () => {
    const started = await harness.call("execute", {
      command: `trap 'echo interrupted, cleaning up; exit 130' INT; echo ready; while true; do sleep 0.1; done # ${marker}`
    })
    const id = started.job_id as string
    const ready = await harness.call("wait", { job_id: id, cursor: started.cursor, until: "^ready$", timeout_s: 60 })
    expect(await harness.call("kill", { job_id: id, signal: "SIGINT" })).toEqual({ status: "signalled" })
    const ended = await harness.call("wait", { job_id: id, cursor: ready.cursor, timeout_s: 30 })
    expect(ended).toMatchObject({ reason: "exited", status: "killed", exit_code: 130, stdout: "interrupted, cleaning up\n" })
  })

  it("kill with SIGKILL stops the job at once: the shell's TERM trap never runs", async () => {
    const started = await harness.call("execute", {
      command: `trap 'echo TERM-TRAP; exit 0' TERM; echo ready; while true; do sleep 0.1; done # ${marker}`
    })
    const id = started.job_id as string
    const ready = await harness.call("wait", { job_id: id, cursor: started.cursor, until: "^ready$", timeout_s: 60 })
    expect(await harness.call("kill", { job_id: id, signal: "SIGKILL" })).toEqual({ status: "killed" })
    const ended = await harness.call("wait", { job_id: id, cursor: ready.cursor, timeout_s: 30 })
    expect(ended).toMatchObject({ reason: "exited", status: "killed", stdout: "" })
    expect(await harness.call("status", { job_id: id })).toMatchObject({ signal: "SIGKILL" })
  })

  it("kill with a signal the program handles (SIGUSR1) leaves the job running; SIGHUP unhandled ends it as killed", async () => {
    const id = await startAndWait(
      "process.on('SIGUSR1', () => console.log('got SIGUSR1, reloading')); console.log('ready'); setInterval(() => {}, 1000)",
      "ready"
    )
    const cursor = (await harness.call("output", { job_id: id })).cursor
    expect(await harness.call("kill", { job_id: id, signal: "sigusr1" })).toEqual({ status: "signalled" })
    const seen = await harness.call("wait", { job_id: id, cursor, until: "got SIGUSR1", timeout_s: 30 })
    expect(seen).toMatchObject({ reason: "matched", status: "running" })
    // The shell that runs the program was spared: nothing ends the job.
    expect(await harness.call("wait", { job_id: id, timeout_s: 1 })).toMatchObject({ reason: "timeout", status: "running" })
    expect(await harness.call("kill", { job_id: id, signal: "SIGHUP" })).toEqual({ status: "signalled" })
    const ended = await harness.call("wait", { job_id: id, timeout_s: 30 })
    expect(ended).toMatchObject({ reason: "exited", status: "killed" })
    expect(await harness.call("kill", { job_id: id, signal: "SIGHUP" })).toEqual({ status: "already_terminated" })
  })

  it("restart stops the old job first, then runs the same command with the same cwd, env and timeout", async () => {
    const port = await freePort()
    const server = "const s = require('net').createServer(); s.on('error', (e) => { console.log('cannot listen: ' + e.code); process.exit(1) }); " +
      "s.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT + ' in ' + process.cwd()))"
    const first = await startAndWait(server, "listening", { env: { PORT: String(port) }, cwd: "/tmp", timeout_s: 120 })
    const restarted = await harness.call("restart", { job_id: first })
    expect(restarted).toMatchObject({ previous_job_id: first, status: "running" })
    expect(restarted.job_id).not.toBe(first)
    const old = await harness.call("status", { job_id: first })
    expect(old.status).toBe("killed")
    expect(old.ended).not.toBeNull()
    // The old server released the port before the new one started: the new one can listen on it.
    const listening = await harness.call("wait", {
      job_id: restarted.job_id,
      cursor: restarted.cursor,
      until: "listening|cannot listen",
      timeout_s: 60
    })
    expect(listening.stdout).toBe(`listening on ${port} in /tmp\n`)
    const status = await harness.call("status", { job_id: restarted.job_id })
    expect(status).toMatchObject({ status: "running", cwd: "/tmp", timeout_s: 120, command: old.command })
    await harness.call("kill", { job_id: restarted.job_id })
  })

  it("restart of a finished job starts it again", async () => {
    const done = await harness.call("execute", { command: "echo run; exit 2", wait_ms: 30_000 })
    expect(done.status).toBe("failed")
    const again = await harness.call("restart", { job_id: done.job_id })
    const result = await harness.call("wait", { job_id: again.job_id, timeout_s: 30 })
    expect(result).toMatchObject({ status: "failed", exit_code: 2 })
    expect((await harness.call("output", { job_id: again.job_id })).stdout).toBe("run\n")
  })
})
