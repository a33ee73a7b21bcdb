import { McpError } from "@modelcontextprotocol/sdk/types.js"
import { beforeAll, describe, expect, it } from "vitest"
import { connectForBlock, nodeScript, transports } from "../../../support/agentHarness.js"
import { uniqueMarker } from "../../../support/processes.js"

/** A bad call, the argument its error must name, and a word of the reason. */
interface BadCall {
  readonly tool: string
  readonly args: (jobs: { running: string; other: string; cursor: string; otherCursor: string }) => Record<string, unknown>
  readonly names: RegExp
  readonly why: RegExp
}

const badCalls: ReadonlyArray<BadCall> = [
  { tool: "wait", args: (j) => ({ job_id: j.running, until: "([unclosed" }), names: /\buntil\b/, why: /not a valid pattern/ },
  { tool: "interact", args: (j) => ({ job_id: j.running, input: "x", until: "*star" }), names: /\buntil\b/, why: /not a valid pattern/ },
  { tool: "output", args: (j) => ({ job_id: j.running, filter: "a{2,1}" }), names: /\bfilter\b/, why: /not a valid pattern/ },
  {
    tool: "output",
    args: (j) => ({ job_id: j.running, cursor: j.cursor.replace(/:(\d+):/, (_, n) => `:${Number(n) + 1_000_000}:`) }),
    names: /\bcursor\b/,
    why: /ahead/
  },
  { tool: "wait", args: (j) => ({ job_id: j.running, cursor: j.otherCursor, timeout_s: 1 }), names: /\bcursor\b/, why: /another job/ },
  { tool: "output", args: (j) => ({ job_id: j.running, cursor: "yesterday" }), names: /\bcursor\b/, why: /not a cursor/ },
  { tool: "wait", args: (j) => ({ job_id: j.running, timeout_s: 601 }), names: /\btimeout_s\b/, why: /0 to 600/ },
  { tool: "wait", args: (j) => ({ job_id: j.running, timeout_s: -1 }), names: /\btimeout_s\b/, why: /0 to 600/ },
  { tool: "wait", args: (j) => ({ job_id: j.running, timeout_s: "30" }), names: /\btimeout_s\b/, why: /number/ },
  { tool: "execute", args: () => ({ command: "true", timeout_s: 0 }), names: /\btimeout_s\b/, why: /seconds/ },
  { tool: "execute", args: () => ({ command: "true", timeout_s: 1e12 }), names: /\btimeout_s\b/, why: /seconds/ },
  { tool: "execute", args: () => ({ command: "true", wait_ms: 60_001 }), names: /\bwait_ms\b/, why: /60000/ },
  { tool: "execute", args: () => ({ command: "true", cwd: "no/such/dir" }), names: /\bcwd\b/, why: /does not exist/ },
  { tool: "execute", args: () => ({ command: "true", cwd: "../../../../../../../../no-such-root-dir" }), names: /\bcwd\b/, why: /does not exist/ },
  { tool: "execute", args: () => ({ command: "true", cwd: "/etc/hostname" }), names: /\bcwd\b/, why: /not a directory/ },
  { tool: "execute", args: () => ({ command: "true", cwd: "/dev/null" }), names: /\bcwd\b/, why: /not a directory/ },
  { tool: "execute", args: () => ({ command: "true", cwd: "a\u0000b" }), names: /\bcwd\b/, why: /NUL/ },
  { tool: "execute", args: () => ({ command: "true", env: { PORT: 3000 } }), names: /\benv\.PORT\b/, why: /string/ },
  { tool: "execute", args: () => ({ command: "true", env: { DEBUG: true } }), names: /\benv\.DEBUG\b/, why: /string/ },
  { tool: "execute", args: () => ({ command: "true", env: "PORT=3000" }), names: /\benv\b/, why: /object of variable names/ },
  { tool: "execute", args: () => ({ command: "true", env: { "A=B": "x" } }), names: /\benv\b/, why: /variable name/ },
  { tool: "execute", args: () => ({ command: "true", stdin: "maybe" }), names: /\bstdin\b/, why: /"pipe" or "null"/ },
  { tool: "execute", args: () => ({ command: "   " }), names: /command/i, why: /empty/ },
  { tool: "execute", args: () => ({}), names: /\bcommand\b/, why: /missing/i },
  { tool: "tail", args: (j) => ({ job_id: j.running, lines: 0 }), names: /\blines\b/, why: /1 to 1000/ },
  { tool: "output", args: (j) => ({ job_id: j.running, max_bytes: 0 }), names: /\bmax_bytes\b/, why: /from 1/ },
  { tool: "interact", args: (j) => ({ job_id: j.running, input: "x", timeout_ms: 0 }), names: /\btimeout_ms\b/, why: /from 1/ },
  { tool: "kill", args: (j) => ({ job_id: j.running, signal: "SIGFOO" }), names: /\bsignal\b/, why: /not a signal/ },
  { tool: "status", args: () => ({ job_id: "no-such-job" }), names: /no-such-job/, why: /not found/ },
  { tool: "restart", args: () => ({ job_id: "no-such-job" }), names: /no-such-job/, why: /not found/ }
]

describe.each(transports)("bad input over %s", (transport) => {
  const marker = uniqueMarker("bad-input")
  const [harness] = connectForBlock(transport, marker)
  const jobs = { running: "", other: "", cursor: "", otherCursor: "" }

  beforeAll(async () => {
    const running = await harness.call("execute", {
      command: nodeScript("let n = 0; setInterval(() => console.log('tick ' + n++), 50)", marker),
      wait_ms: 200
    })
    const other = await harness.call("execute", { command: "echo other", wait_ms: 30_000 })
    Object.assign(jobs, {
      running: running.job_id,
      cursor: running.cursor,
      other: other.job_id,
      otherCursor: other.cursor
    })
  })

  it.each(badCalls.map((call) => [call.tool, JSON.stringify(call.args({ running: "<id>", other: "<other>", cursor: "<c>", otherCursor: "<c2>" })), call] as const))(
    "%s %s is a tool error naming the argument and why",
    async (tool, _shown, call) => {
      const message = await harness.callError(tool, call.args(jobs))
      expect(message).toMatch(call.names)
      expect(message).toMatch(call.why)
    }
  )

  it("none of them affected the running job, and no job was started by them", async () => {
    const { jobs: listed } = await harness.call("list")
    expect(listed).toHaveLength(2)
    const status = await harness.call("status", { job_id: jobs.running })
    expect(status.status).toBe("running")
    const latest = await harness.call("output", { job_id: jobs.running, max_bytes: 1 })
    const next = await harness.call("wait", { job_id: jobs.running, cursor: latest.cursor, until: "tick \\d+", timeout_s: 30 })
    expect(next).toMatchObject({ reason: "matched", status: "running" })
    await harness.call("kill", { job_id: jobs.running })
  })

  it("an unknown tool is a protocol error that points to tools/list", async () => {
    await expect(harness.client.callTool({ name: "run", arguments: {} })).rejects.toSatisfy(
      (error: unknown) => error instanceof McpError && /tools\/list/.test(error.message)
    )
  })
})
