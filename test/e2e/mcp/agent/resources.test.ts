import {
  McpError,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { beforeAll, describe, expect, it } from "vitest"
import { connectForBlock, nodeScript, transports } from "../../../support/agentHarness.js"
import { eventually } from "../../../support/polling.js"
import { uniqueMarker } from "../../../support/processes.js"

describe.each(transports)("job output resources over %s", (transport) => {
  const marker = uniqueMarker("resources")
  /** The second: a server that removes ended jobs after one second. */
  const [harness, quickCleanup] = connectForBlock(transport, marker, () => ({}), () => ({ cleanupInterval: 1 }))
  /** Every resources/updated URI, with when it arrived. */
  const updates: Array<{ uri: string; at: number }> = []
  let listChanges = 0

  beforeAll(() => {
    harness.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push({ uri: notification.params.uri, at: Date.now() })
    })
    quickCleanup.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanges++
    })
  })

  const updatesFor = (uri: string) => updates.filter((update) => update.uri === uri)

  it("declares resources with subscribe and listChanged, and three templates", async () => {
    expect(harness.client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true })
    const { resourceTemplates } = await harness.client.listResourceTemplates()
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      "job://{job_id}/output",
      "job://{job_id}/stdout",
      "job://{job_id}/stderr"
    ])
    for (const template of resourceTemplates) expect(template.description?.length).toBeGreaterThan(10)
  })

  it("reads a job's output, stdout and stderr; lists current jobs", async () => {
    // stdout and stderr are two pipes: each line is printed only once the one before it has been read, so the
    // order in which the server read them is the order written.
    const job = await harness.call("execute", {
      command: "printf '\\033[32mgreen\\033[0m\\n'; read a; echo to-err >&2; read b; echo second"
    })
    const id = job.job_id as string
    await harness.call("wait", { job_id: id, cursor: job.cursor, until: "green", timeout_s: 30 })
    await harness.call("interact", { job_id: id, input: "go", until: "to-err", timeout_ms: 30_000 })
    await harness.call("interact", { job_id: id, input: "go", until: "second", timeout_ms: 30_000 })
    expect((await harness.call("wait", { job_id: id, timeout_s: 30 })).status).toBe("completed")
    const read = async (view: string) => {
      const result = await harness.client.readResource({ uri: `job://${id}/${view}` })
      expect(result.contents).toHaveLength(1)
      expect(result.contents[0]).toMatchObject({ uri: `job://${id}/${view}`, mimeType: "text/plain" })
      return (result.contents[0] as { text: string }).text
    }
    expect(await read("stdout")).toBe("green\nsecond\n")
    expect(await read("stderr")).toBe("to-err\n")
    expect(await read("output")).toBe("green\nto-err\nsecond\n")
    const { resources } = await harness.client.listResources()
    expect(resources).toContainEqual(expect.objectContaining({ uri: `job://${id}/output`, mimeType: "text/plain" }))
    await expect(harness.client.readResource({ uri: "job://00000000-0000-0000-0000-000000000000/output" })).rejects.toThrow(
      /not found/
    )
    await expect(harness.client.readResource({ uri: `job://${id}/logs` })).rejects.toBeInstanceOf(McpError)
  })

  it("a subscription brings updates while output grows (a few a second at most) and one when the job ends", async () => {
    const job = await harness.call("execute", {
      command: nodeScript("let n = 0; const t = setInterval(() => { console.log('line ' + n++); if (n === 150) { clearInterval(t) } }, 10)", marker)
    })
    const uri = `job://${job.job_id}/stdout`
    await harness.client.subscribeResource({ uri })
    const subscribedAt = Date.now()
    const ended = await harness.call("wait", { job_id: job.job_id, timeout_s: 60 })
    expect(ended.reason).toBe("exited")
    // Updates while it printed for a second and a half, and one when it ended.
    expect(await eventually(() => updatesFor(uri).length >= 3, 10_000)).toBe(true)
    const lastUpdate = await eventually(async () => {
      const text = (await harness.client.readResource({ uri })).contents[0] as { text: string }
      return text.text.endsWith("line 149\n") && updatesFor(uri).length > 0
    }, 10_000)
    expect(lastUpdate).toBe(true)
    const seconds = Math.max(1, (Date.now() - subscribedAt) / 1000)
    expect(updatesFor(uri).length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 2)
    // The stderr view had no output and no subscription: no updates for it.
    expect(updatesFor(`job://${job.job_id}/stderr`)).toEqual([])
    await harness.client.unsubscribeResource({ uri })
  })

  it("a subscription to a silent job is told when it ends", async () => {
    const job = await harness.call("execute", { command: nodeScript("setTimeout(() => process.exit(0), 1500)", marker) })
    const uri = `job://${job.job_id}/output`
    await harness.client.subscribeResource({ uri })
    expect(updatesFor(uri)).toEqual([])
    expect(await eventually(() => updatesFor(uri).length > 0, 20_000)).toBe(true)
    expect((await harness.call("status", { job_id: job.job_id })).status).toBe("completed")
  })

  it("sends list_changed when a job is added and when it is removed after the cleanup interval", async () => {
    const before = listChanges
    const job = await quickCleanup.call("execute", { command: "exit 0", wait_ms: 30_000 })
    expect(await eventually(() => listChanges > before, 10_000)).toBe(true)
    const afterAdd = listChanges
    // Removed one second after it ended (cleanupInterval 1).
    expect(await eventually(() => listChanges > afterAdd, 15_000)).toBe(true)
    const { resources } = await quickCleanup.client.listResources()
    expect(resources.map((r) => r.uri)).not.toContain(`job://${job.job_id}/output`)
    expect(await quickCleanup.callError("status", { job_id: job.job_id })).toMatch(/not found/)
    // A subscription to the removed job is refused, not kept for the server's lifetime.
    const refused = await quickCleanup.client.subscribeResource({ uri: `job://${job.job_id}/output` }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(McpError)
    expect((refused as McpError).code).toBe(-32002)
    expect((refused as McpError).message).toMatch(/not found/)
  })

  it("refuses to subscribe to a job that does not exist", async () => {
    const refused = await harness.client.subscribeResource({ uri: "job://0f0e0d0c-0000-4000-8000-000000000000/stdout" }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(McpError)
    expect((refused as McpError).code).toBe(-32002)
  })

  it("refuses to subscribe to a URI that is not a job resource", async () => {
    await expect(harness.client.subscribeResource({ uri: "file:///etc/passwd" })).rejects.toBeInstanceOf(McpError)
  })
})
