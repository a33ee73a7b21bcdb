/**
 * Notices in HTTP mode, through the built bin: a session hears of its owner's jobs only, in results and in
 * logging notifications, never of another owner's; and an owner's new session hears of a job another of
 * its sessions started.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it, onTestFinished } from "vitest"
import { startHttpBin } from "../../support/bin.js"
import { connectHttpClient } from "../../support/httpServer.js"
import { toolResult } from "../../support/mcpClient.js"
import { eventually, expectEventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"
import { noticesOf, structuredOf } from "../../support/toolResults.js"

const ALICE = "alice-token-0123456789"
const BOB = "bob-token-9876543210"

/** A client whose results and logging notifications are recorded: the job ids it was told of. */
const listening = async (url: string, token: string) => {
  const connection = await connectHttpClient(url, token)
  onTestFinished(() => connection.close())
  const toldInResults = new Set<string>()
  const toldInLogs = new Set<string>()
  connection.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    const id = (notification.params.data as { job_id?: unknown }).job_id
    if (typeof id === "string") toldInLogs.add(id)
  })
  const record = (result: CallToolResult) => {
    for (const notice of noticesOf(result)) toldInResults.add(notice.job_id)
    return result
  }
  const start = async (command: string) =>
    structuredOf<{ job_id: string }>("execute", record(await toolResult(connection.client, "execute", { command }))).job_id
  return {
    ...connection,
    toldInResults,
    toldInLogs,
    start,
    list: async () => record(await toolResult(connection.client, "list")),
    kill: (id: string) => toolResult(connection.client, "kill", { job_id: id }).then(record)
  }
}

describe("notices in HTTP mode", () => {
  it("go to the sessions of the job's owner only", async () => {
    const marker = uniqueMarker("http-notices")
    onTestFinished(() => killMarked(marker))
    const server = await startHttpBin(["--http", "--port", "0"], { MCP_BG_HTTP_TOKEN: `alice:${ALICE},bob:${BOB}` })
    onTestFinished(() => {
      server.child.kill("SIGKILL")
    })
    const alice = await listening(server.url, ALICE)
    const bob = await listening(server.url, BOB)
    const aliceLater = await listening(server.url, ALICE)

    const bobsJobs = [await bob.start(`exit 9 # ${marker}`), await bob.start(`sleep 30 # ${marker}`)]
    const alicesJob = await alice.start(`sh -c 'sleep 0.2; exit 3' # ${marker}`)
    await bob.kill(bobsJobs[1]!)

    await expectEventually("Bob heard of both his jobs", async () => {
      await bob.list()
      return bobsJobs.every((id) => bob.toldInResults.has(id) && bob.toldInLogs.has(id))
    })
    await expectEventually("Alice heard of her job in both her sessions", async () => {
      await alice.list()
      await aliceLater.list()
      return [alice, aliceLater].every((session) => session.toldInResults.has(alicesJob) && session.toldInLogs.has(alicesJob))
    })
    // One more round, after which anything still on its way would have arrived.
    await Promise.all([alice.list(), aliceLater.list(), bob.list()])

    for (const session of [alice, aliceLater]) {
      expect([...session.toldInResults]).toEqual([alicesJob])
      expect([...session.toldInLogs]).toEqual([alicesJob])
    }
    expect([...bob.toldInResults].sort()).toEqual([...bobsJobs].sort())
    expect([...bob.toldInLogs].sort()).toEqual([...bobsJobs].sort())

    expect(await server.stop()).toBe(0)
    expect(await eventually(() => processesWithMarker(marker).length === 0, 15_000)).toBe(true)
  })
})
