/**
 * Notices through the built server over stdio, as an agent gets them: every result carries the jobs of the
 * session that ended since its previous result, each exactly once, errors included; a running job is never
 * in them; and each job that ends is also sent as a logging notification, which `logging/setLevel` can mute.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it } from "vitest"
import { connectForBlock, nodeScript } from "../../../support/agentHarness.js"
import { connectStdioForTest } from "../../../support/mcpClient.js"
import { expectEventually } from "../../../support/polling.js"
import { uniqueMarker } from "../../../support/processes.js"
import { type Notice, noticesOf } from "../../../support/toolResults.js"

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Calls until `done` holds for a result (or the deadline passes); returns every result, in order. */
const callUntil = async (call: () => Promise<CallToolResult>, done: (result: CallToolResult) => boolean, timeoutMs = 15_000) => {
  const results: Array<CallToolResult> = []
  await expectEventually("a result told what was expected", async () => {
    const result = await call()
    results.push(result)
    return done(result)
  }, timeoutMs)
  return results
}

const mentions = (result: CallToolResult, id: string) => noticesOf(result).some((notice) => notice.job_id === id)

describe("notices over stdio", () => {
  const marker = uniqueMarker("notices")
  const [harness] = connectForBlock("stdio", marker)
  const longRunning = async () => (await harness.call("execute", { command: nodeScript("setInterval(() => {}, 1000)", marker) })).job_id as string

  it("tell of a job that ended in exactly one result, and never of a running job", async () => {
    const running = await longRunning()
    const started = await harness.result("execute", { command: `sh -c 'sleep 0.2; exit 3' # ${marker}` })
    const ending = (started.structuredContent as { job_id: string }).job_id
    expect(mentions(started, ending)).toBe(false)

    // Each status call is a result; the first one that shows the job ended may come just before its notice.
    const untilEnded = await callUntil(
      () => harness.result("status", { job_id: ending }),
      (result) => (result.structuredContent as { status: string }).status !== "running"
    )
    const after = [await harness.result("list"), await harness.result("status", { job_id: running }), await harness.result("list")]
    const results = [started, ...untilEnded, ...after]
    const telling = results.filter((result) => mentions(result, ending))
    expect(telling.length, "exactly one result tells of it").toBe(1)
    expect(results.indexOf(telling[0]!), "no later than the result after the one that showed it ended").toBeLessThanOrEqual(
      untilEnded.length + 1
    )
    expect(results.some((result) => mentions(result, running)), "a running job is not news").toBe(false)

    const notice = noticesOf(telling[0]!).find((notice) => notice.job_id === ending)!
    expect(notice).toMatchObject({ job_id: ending, status: "failed", exit_code: 3, signal: null })
    expect(notice.command).toBe(`sh -c 'sleep 0.2; exit 3' # ${marker}`)
    expect(notice.ended).toMatch(isoTime)
    await harness.call("kill", { job_id: running })
  })

  it("ride on an error result as a text block of their own", async () => {
    const ending = (await harness.call("execute", { command: `exit 7 # ${marker}` })).job_id as string
    const results = await callUntil(() => harness.result("status", { job_id: "no-such-job" }), (result) => mentions(result, ending))
    const telling = results.at(-1)!
    expect(telling.isError).toBe(true)
    expect(telling.structuredContent).toBeUndefined()
    expect(telling.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/^Job no-such-job not found/) })
    expect(telling.content[1]).toMatchObject({ type: "text", text: expect.stringMatching(/^Jobs that ended since your last call: \[/) })
    expect(noticesOf(telling).find((notice) => notice.job_id === ending)).toMatchObject({ status: "failed", exit_code: 7 })
    expect(mentions(await harness.result("status", { job_id: "no-such-job" }), ending), "once only").toBe(false)
  })

  it("tell of a job killed by the agent, and of jobs that ended during a wait on another", async () => {
    const killed = await longRunning()
    const quick = (await harness.call("execute", { command: nodeScript("setTimeout(() => process.exit(4), 300)", marker) })).job_id as string
    await harness.call("kill", { job_id: killed })
    const seen: Array<Notice> = [...noticesOf(await harness.result("wait", { job_id: quick, timeout_s: 30 }))]
    const told = (id: string) => seen.some((notice) => notice.job_id === id)
    await callUntil(() => harness.result("list"), (result) => {
      seen.push(...noticesOf(result))
      return told(killed) && told(quick)
    })
    seen.push(...noticesOf(await harness.result("list")))
    expect(seen.filter((notice) => notice.job_id === killed).map((notice) => notice.status)).toEqual(["killed"])
    expect(seen.filter((notice) => notice.job_id === quick).map((notice) => notice.exit_code)).toEqual([4])
  })
})

describe("logging notifications of ended jobs", () => {
  it("arrive for each job that ends, unless the client raised its level above info", async () => {
    const marker = uniqueMarker("notices-log")
    const server = await connectStdioForTest()
    const messages: Array<{ level: string; logger?: string | undefined; data: unknown }> = []
    server.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      messages.push(notification.params)
    })
    const first = (await server.call("execute", { command: `exit 2 # ${marker}` })).job_id as string
    const aboutJob = (id: string) => messages.filter((message) => (message.data as { job_id?: string }).job_id === id)
    await expectEventually("the logging notification arrived", () => aboutJob(first).length > 0)
    expect(aboutJob(first)).toEqual([
      {
        level: "info",
        logger: "mcp-background-job",
        data: expect.objectContaining({ job_id: first, status: "failed", exit_code: 2, command: `exit 2 # ${marker}` })
      }
    ])

    await server.client.setLoggingLevel("warning")
    const second = (await server.call("execute", { command: `exit 5 # ${marker}` })).job_id as string
    await callUntil(() => server.result("list"), (result) => mentions(result, second))
    // Had a notification been sent for it, it would be on stdout before the answer to a later call.
    await server.call("list")
    expect(aboutJob(second)).toEqual([])
  })
})
