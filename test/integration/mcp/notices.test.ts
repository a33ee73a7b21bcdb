/**
 * Notices on an application's own `Server` constructed without the `logging` capability: the adapter
 * declares it, sends a logging notification per ended job, and answers `logging/setLevel` itself.
 */
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { describe, expect, it, onTestFinished } from "vitest"
import { connectInMemory } from "../../support/mcpClient.js"
import { expectEventually } from "../../support/polling.js"
import { noticesOf } from "../../support/toolResults.js"

describe("notices on a Server constructed without logging", () => {
  it("declares logging, notifies each ended job, and honours logging/setLevel", async () => {
    const connection = await connectInMemory()
    onTestFinished(connection.close)
    expect(connection.client.getServerCapabilities()?.logging).toEqual({})
    const logged: Array<string> = []
    connection.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logged.push((notification.params.data as { job_id: string }).job_id)
    })
    const first = (await connection.call("execute", { command: "exit 1" })).job_id as string
    await expectEventually("the first job's notification arrived", () => logged.includes(first))

    await connection.client.setLoggingLevel("error")
    const second = (await connection.call("execute", { command: "exit 2" })).job_id as string
    await expectEventually("the second job's notice is in a result", async () =>
      noticesOf(await connection.result("list")).some((notice) => notice.job_id === second))
    await connection.call("list")
    expect(logged).toEqual([first])
  })
})
