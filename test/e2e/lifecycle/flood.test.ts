/**
 * Guarantee 4: output floods stay bounded and never block. The server keeps at most the cap per job, its
 * memory stays near its baseline, the kept tail is exactly the last bytes written, dropped bytes are counted,
 * `list` and `status` keep answering while a flood runs, and a job nobody reads runs to its end.
 * (The 1 GiB floods are in floodGiB.test.ts.)
 */
import { describe, expect, it } from "vitest"
import { startCursor } from "../../../src/mcp/wire.js"
import { connectStdioForTest, type StdioConnection } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"

const MiB = 1024 * 1024
const CAP = 4 * MiB

interface Status {
  readonly status: string
  readonly stdout_bytes: number
  readonly stderr_bytes: number
  readonly dropped_stdout_bytes: number
  readonly dropped_stderr_bytes: number
  readonly retained_bytes: number
  readonly exit_code: number | null
}

/** Polls `status` (never reading output) until the job ends. */
const awaitEnd = async (server: StdioConnection, jobId: string): Promise<Status> => {
  let last: Status | undefined
  const ended = await eventually(async () => {
    last = await server.call<Status>("status", { job_id: jobId })
    return last.status !== "running"
  }, 120_000, 100)
  if (!ended || last === undefined) throw new Error(`job ${jobId} did not end`)
  return last
}

/** The bytes a deterministic generator writes (a linear congruential sequence), for an exact tail. */
const generatorScript = (total: number) =>
  `let x = 12345; const total = ${total}; let written = 0; const chunk = Buffer.alloc(65536);` +
  `const next = () => { while (written < total) { const n = Math.min(chunk.length, total - written);` +
  `for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; chunk[i] = x >>> 24 }` +
  `written += n; if (!process.stdout.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return process.stdout.once("drain", next) } };` +
  `next()`

const generatedTail = (total: number, length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  let x = 12345
  for (let i = 0; i < total; i++) {
    x = Math.imul(x, 1103515245) + 12345 >>> 0
    if (i >= total - length) bytes[i - (total - length)] = x >>> 24
  }
  return bytes
}

describe("output floods", () => {
  it("keep the exact end of a 200 MB line that has no newline", async () => {
    const cap = MiB
    const server = await connectStdioForTest({ MCP_BG_MAX_OUTPUT_SIZE: String(cap) })
    const total = 200_000_000
    const { job_id } = await server.call<{ job_id: string }>("execute", {
      command: `head -c ${total} /dev/zero | tr '\\0' x; printf END`
    })
    const status = await awaitEnd(server, job_id)
    expect(status.status).toBe("completed")
    expect(status.stdout_bytes).toBe(total + 3)
    expect(status.dropped_stdout_bytes).toBe(total + 3 - cap)
    // The line is the whole retained megabyte: a result budget of 1 MiB (the most a call may ask) holds it.
    const tail = await server.call<{ stdout: string }>("tail", { job_id, lines: 1, max_bytes: cap })
    expect(tail.stdout).toHaveLength(cap)
    expect(tail.stdout).toBe("x".repeat(cap - 3) + "END")
  })

  it("keep binary output byte-exact at the end", async () => {
    const cap = 64 * 1024
    const server = await connectStdioForTest({ MCP_BG_MAX_OUTPUT_SIZE: String(cap) })
    const total = 16 * MiB + 12345
    const { job_id } = await server.call<{ job_id: string }>("execute", {
      command: `node -e '${generatorScript(total)}'`
    })
    const status = await awaitEnd(server, job_id)
    expect(status.status).toBe("completed")
    expect(status.stdout_bytes).toBe(total)
    expect(status.dropped_stdout_bytes).toBe(total - cap)
    // Page by page from the start: what is retained, every byte once.
    let text = ""
    let cursor = startCursor(job_id)
    while (true) {
      const page = await server.call<{ stdout: string; cursor: string; remaining_bytes: number }>("output", { job_id, cursor, raw: true })
      text += page.stdout
      cursor = page.cursor
      if (page.remaining_bytes === 0) break
    }
    expect(text).toBe(new TextDecoder().decode(generatedTail(total, cap)))
  })

  it("never deadlock a job that floods stdout and stderr at once, even when nobody reads it", async () => {
    const server = await connectStdioForTest({ MCP_BG_MAX_OUTPUT_SIZE: String(CAP) })
    const each = 32 * MiB
    const { job_id } = await server.call<{ job_id: string }>("execute", {
      command: `yes out | head -c ${each} & yes err | head -c ${each} >&2; wait`
    })
    // Only status is called: the output is never read, and the job must still run to its end.
    const status = await awaitEnd(server, job_id)
    expect(status.status).toBe("completed")
    expect(status.stdout_bytes).toBe(each)
    expect(status.stderr_bytes).toBe(each)
    expect(status.retained_bytes).toBe(CAP)
    expect(status.dropped_stdout_bytes + status.dropped_stderr_bytes).toBe(2 * each - CAP)
  })
})
