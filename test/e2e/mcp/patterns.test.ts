/**
 * Agent-supplied patterns over stdio against the built server: a pattern that backtracks for minutes in
 * JavaScript answers at once, the server keeps answering other calls meanwhile, and what the engine cannot
 * run is a tool error naming the construct.
 */
import { describe, expect, it } from "vitest"
import { nodeScript } from "../../support/agentHarness.js"
import { connectStdioForTest } from "../../support/mcpClient.js"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"

/** Generous next to the ~250 ms asked for, and far below the minutes JavaScript's engine would take. */
const PROMPT_MS = 2_000

const timed = async <T>(call: Promise<T>): Promise<{ readonly value: T; readonly ms: number }> => {
  const began = performance.now()
  const value = await call
  return { value, ms: performance.now() - began }
}

describe("agent patterns over stdio", () => {
  it("^(a+)+$ against a 50,000-character line: output and wait answer at once, list keeps answering", async () => {
    const marker = uniqueMarker("patterns")
    const server = await connectStdioForTest()
    const started = await server.call("execute", {
      command: nodeScript("process.stdout.write('a'.repeat(50000) + 'b\\n'); console.log('printed'); setInterval(() => {}, 1000)", marker)
    })
    const id = started.job_id as string
    try {
      const ready = await server.call("wait", { job_id: id, cursor: started.cursor, until: "^printed$", timeout_s: 60 })
      expect(ready).toMatchObject({ reason: "matched", status: "running" })

      // The pathological part cannot match the long line (it ends in b); the alternative proves the filter ran over it.
      const [filtered, ...listed] = await Promise.all([
        timed(server.call("output", { job_id: id, filter: "^(a+)+$|^printed$" })),
        timed(server.call("list")),
        timed(server.call("list"))
      ])
      expect(filtered.value).toMatchObject({ stdout: "printed\n", stderr: "" })
      expect(filtered.ms).toBeLessThan(PROMPT_MS)
      for (const list of listed) {
        expect(list.value.jobs).toEqual(expect.arrayContaining([expect.objectContaining({ job_id: id, status: "running" })]))
        expect(list.ms).toBeLessThan(PROMPT_MS)
      }
      expect((await timed(server.call("output", { job_id: id, filter: "^(a+)+$" }))).ms).toBeLessThan(PROMPT_MS)

      // wait scans the long line first, then matches the next one.
      const waited = await timed(server.call("wait", { job_id: id, cursor: started.cursor, until: "^(a+)+$|^printed$", timeout_s: 30 }))
      expect(waited.value).toMatchObject({ reason: "matched", matched_line: "printed", status: "running" })
      expect(waited.ms).toBeLessThan(PROMPT_MS)
    } finally {
      await server.call("kill", { job_id: id, signal: "SIGKILL" })
      const gone = await eventually(() => processesWithMarker(marker).length === 0, 10_000)
      killMarked(marker)
      expect(gone).toBe(true)
    }
  })

  it("a construct the engine cannot run is a tool error naming it and the argument", async () => {
    const server = await connectStdioForTest()
    const started = await server.call("execute", { command: "echo ab", wait_ms: 10_000 })
    const id = started.job_id as string
    expect(await server.callError("output", { job_id: id, filter: "(a)\\1" })).toMatch(/^Invalid filter: .*a backreference \(\\1\)/)
    expect(await server.callError("wait", { job_id: id, until: "(?<=a)b", timeout_s: 1 })).toMatch(/^Invalid until: .*a lookbehind/)
    expect(await server.callError("interact", { job_id: id, input: "x", until: "a++" })).toMatch(/^Invalid until: .*a possessive quantifier/)
    // Syntax RE2 shares with JavaScript keeps working.
    expect(await server.call("output", { job_id: id, filter: "(?i)^A\\w$" })).toMatchObject({ stdout: "ab\n" })
  })
})
