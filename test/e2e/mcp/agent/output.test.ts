import { describe, expect, it } from "vitest"
import { connectForBlock, type Harness, nodeScript, transports } from "../../../support/agentHarness.js"
import { uniqueMarker } from "../../../support/processes.js"
import type { Structured } from "../../../support/toolResults.js"
import { startCursor } from "../../../../src/mcp/wire.js"

const LINES = 10_000

/** The text a job printing lines `prefix 0` … `prefix n-1` writes. */
const numbered = (prefix: string, count = LINES) => Array.from({ length: count }, (_, i) => `${prefix} ${i}\n`).join("")

/** A job that prints numbered lines on stdout and stderr, `batch` lines of each every `pauseMs`. */
const printer = (batch: number, pauseMs: number) =>
  `let i = 0; const step = () => { let out = '', err = ''; ` +
  `for (let k = 0; k < ${batch} && i < ${LINES}; k++, i++) { out += 'line ' + i + '\\n'; err += 'err ' + i + '\\n' } ` +
  `process.stdout.write(out); process.stderr.write(err); if (i < ${LINES}) setTimeout(step, ${pauseMs}) }; step()`

/**
 * Reads a job to its end with consecutive cursor calls from its start — `output` pages and `wait` in turn (with
 * a budget that holds all of it, so that its result is one contiguous piece too) — and checks each piece
 * against the expected text at the position it claims, counting the bytes reported dropped.
 */
const readToEnd = async (harness: Harness, id: string, expected: { stdout: string; stderr: string }) => {
  const offset = { stdout: 0, stderr: 0 }
  const dropped = { stdout: 0, stderr: 0 }
  let cursor = startCursor(id)
  let calls = 0
  let ended = false
  while (true) {
    calls++
    const args: Record<string, unknown> = { job_id: id, raw: true, cursor }
    const result: Structured = calls % 2 === 0 ?
      await harness.call("wait", { ...args, timeout_s: 0.2, max_bytes: 1024 * 1024 }) :
      await harness.call("output", args)
    expect(result.omitted_bytes).toBe(0)
    for (const stream of ["stdout", "stderr"] as const) {
      const skipped = result[`dropped_${stream}_bytes`] as number
      dropped[stream] += skipped
      offset[stream] += skipped
      const text = result[stream] as string
      expect(text).toBe(expected[stream].slice(offset[stream], offset[stream] + text.length))
      offset[stream] += text.length
    }
    expect(result.truncated).toBe(result.dropped_stdout_bytes !== 0 || result.dropped_stderr_bytes !== 0 || result.remaining_bytes !== 0)
    cursor = result.cursor as string
    const empty = result.stdout === "" && result.stderr === ""
    if (ended && empty) break
    if (empty) ended = (await harness.call("status", { job_id: id })).status !== "running"
  }
  expect(offset).toEqual({ stdout: expected.stdout.length, stderr: expected.stderr.length })
  return { dropped, calls }
}

describe.each(transports)("output over %s", (transport) => {
  const marker = uniqueMarker("output")
  const [harness, small] = connectForBlock(transport, marker, () => ({}), () => ({ maxOutputSize: 64 * 1024 }))

  const start = async (h: Harness, script: string, extra: Record<string, unknown> = {}) =>
    (await h.call("execute", { command: nodeScript(script, marker), ...extra })).job_id as string

  it("consecutive cursor reads of a finished job reassemble 10 000 lines exactly", async () => {
    const id = await start(harness, printer(LINES, 0))
    expect((await harness.call("wait", { job_id: id, timeout_s: 60 })).status).toBe("completed")
    const { dropped } = await readToEnd(harness, id, { stdout: numbered("line"), stderr: numbered("err") })
    expect(dropped).toEqual({ stdout: 0, stderr: 0 })
  })

  it("consecutive cursor reads while the job is still printing: no duplicate, no gap", async () => {
    const id = await start(harness, printer(50, 5))
    const { dropped, calls } = await readToEnd(harness, id, { stdout: numbered("line"), stderr: numbered("err") })
    expect(dropped).toEqual({ stdout: 0, stderr: 0 })
    // Many reads happened while it printed, not one read at the end.
    expect(calls).toBeGreaterThan(4)
  })

  it("across the output cap, reads say how many bytes of each stream were dropped and still never repeat", async () => {
    const id = await start(small, printer(LINES, 0))
    expect((await small.call("wait", { job_id: id, timeout_s: 60 })).status).toBe("completed")
    const status = await small.call("status", { job_id: id })
    const { dropped } = await readToEnd(small, id, { stdout: numbered("line"), stderr: numbered("err") })
    expect(dropped.stdout).toBeGreaterThan(0)
    expect(dropped.stderr).toBeGreaterThan(0)
    expect(dropped).toEqual({ stdout: status.dropped_stdout_bytes, stderr: status.dropped_stderr_bytes })
  })

  it("across the output cap while printing, every byte is either read once or reported dropped", async () => {
    const id = await start(small, printer(400, 5))
    const { dropped } = await readToEnd(small, id, { stdout: numbered("line"), stderr: numbered("err") })
    const status = await small.call("status", { job_id: id })
    expect(dropped.stdout).toBeLessThanOrEqual(status.dropped_stdout_bytes as number)
    expect(dropped.stderr).toBeLessThanOrEqual(status.dropped_stderr_bytes as number)
  })

  it("filter keeps matching lines; the cursor still moves past the others", async () => {
    const id = await start(
      harness,
      "for (let i = 0; i < 30; i++) console.log(i % 10 === 3 ? 'FAIL test ' + i : 'ok ' + i); console.error('error: boom'); console.error('warning')"
    )
    await harness.call("wait", { job_id: id, timeout_s: 30 })
    const result = await harness.call("output", { job_id: id, filter: "FAIL|error" })
    expect(result).toMatchObject({ stdout: "FAIL test 3\nFAIL test 13\nFAIL test 23\n", stderr: "error: boom\n", truncated: false })
    const after = await harness.call("output", { job_id: id, cursor: result.cursor, filter: "FAIL|error" })
    expect(after).toMatchObject({ stdout: "", stderr: "" })
    // Patterns are RE2: (?i) makes one case-insensitive; what RE2 cannot run is an error naming the argument, not an empty answer.
    expect(await harness.call("output", { job_id: id, filter: "(?i)^WARN" })).toMatchObject({ stdout: "", stderr: "warning\n" })
    expect(await harness.callError("output", { job_id: id, filter: "error(?=:)" })).toMatch(/filter.*lookahead/)
  })

  it("strips ANSI escapes and collapses carriage-return progress bars; raw keeps them", async () => {
    const script = "process.stdout.write('\\x1b[1;31mred\\x1b[0m plain\\r\\n'); " +
      "process.stdout.write('progress 10%\\rprogress 50%\\rprogress 100%\\ndone\\n'); " +
      "process.stderr.write('\\x1b[33mwarn\\x1b[39m\\n\\x1b[2K\\x1b[1Gspinner |\\x1b[1Gspinner /\\x1b[1G\\x1b[Kfinished\\n')"
    const id = await start(harness, script)
    await harness.call("wait", { job_id: id, timeout_s: 30 })
    const clean = await harness.call("output", { job_id: id })
    expect(clean.stdout).toBe("red plain\nprogress 100%\ndone\n")
    expect(clean.stderr).toBe("warn\nfinished\n")
    const raw = await harness.call("output", { job_id: id, raw: true })
    expect(raw.stdout).toBe("\x1b[1;31mred\x1b[0m plain\r\nprogress 10%\rprogress 50%\rprogress 100%\ndone\n")
    expect(raw.stderr).toBe("\x1b[33mwarn\x1b[39m\n\x1b[2K\x1b[1Gspinner |\x1b[1Gspinner /\x1b[1G\x1b[Kfinished\n")
    const tail = await harness.call("tail", { job_id: id, lines: 1 })
    expect(tail).toMatchObject({ stdout: "done\n", stderr: "finished\n" })
    const rawTail = await harness.call("tail", { job_id: id, lines: 2, raw: true })
    expect(rawTail.stdout).toBe("progress 10%\rprogress 50%\rprogress 100%\ndone\n")
  })

  it("max_bytes keeps the newest text and says how much was left out", async () => {
    const id = await start(harness, "for (let i = 0; i < 100; i++) console.log('row ' + String(i).padStart(3, '0'))")
    await harness.call("wait", { job_id: id, timeout_s: 30 })
    const result = await harness.call("output", { job_id: id, max_bytes: 16 })
    expect(result).toMatchObject({ stdout: "row 098\nrow 099\n", truncated: true, omitted_bytes: 800 - 16 })
    // The cursor is after everything: nothing is left to read.
    expect(await harness.call("output", { job_id: id, cursor: result.cursor })).toMatchObject({ stdout: "", omitted_bytes: 0 })
  })

  it("a multi-byte character split across chunks is never cut in half", async () => {
    const started = await harness.call("execute", {
      command: nodeScript(
        "const b = Buffer.from('héllo wörld ✓\\n'); process.stdout.write(b.subarray(0, 2)); " +
          "setTimeout(() => process.stdout.write(b.subarray(2, 13)), 300); setTimeout(() => process.stdout.write(b.subarray(13)), 600)",
        marker
      ),
      wait_ms: 0
    })
    const id = started.job_id as string
    let text = started.stdout as string
    let cursor = started.cursor as string
    while (true) {
      const result = await harness.call("wait", { job_id: id, timeout_s: 0.1, cursor })
      expect(result.stdout).not.toContain("\ufffd")
      text += result.stdout as string
      cursor = result.cursor as string
      if (result.status !== "running" && result.stdout === "") break
    }
    expect(text.endsWith("héllo wörld ✓\n")).toBe(true)
  })
})
