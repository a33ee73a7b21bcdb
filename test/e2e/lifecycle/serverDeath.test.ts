/**
 * Guarantee 3: nothing outlives the server. On stdin close, SIGINT and SIGTERM the server stops every job
 * itself; when it is killed with SIGKILL or crashes, its guard process does. Either way no process of any
 * job, and not the guard, is left within the grace period plus two seconds.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type MarkedSleep, markedSleep } from "../../support/markedSleep.js"
import { expectEventually } from "../../support/polling.js"
import { childrenOf, pidAlive, signalQuietly } from "../../support/processes.js"
import { type RawServer, startRawServerForTest } from "../../support/rawServer.js"

const GRACE_S = 1
/** The guarantee is grace + 2 s; the margin absorbs a loaded machine. */
const BOUND_MS = GRACE_S * 1000 + 2000 + 3000

/** Jobs of every shape: background children, SIGTERM ignored at two depths, and two kinds of setsid escape. */
const jobCommands = (s: string) => [
  `${s} 300 & ${s} 301`,
  `trap '' TERM; ${s} 302`,
  `setsid ${s} 303 & ${s} 304`,
  `setsid -f ${s} 305; ${s} 306`,
  `sh -c "trap '' TERM; ${s} 307" & wait`
]
const SLEEPERS = 8

const scenarios: ReadonlyArray<{
  readonly name: string
  readonly stop: (server: RawServer) => void
  readonly graceful: boolean
}> = [
  { name: "stdin closes", stop: (server) => server.child.stdin!.end(), graceful: true },
  { name: "SIGINT", stop: (server) => signalQuietly(server.pid, "SIGINT"), graceful: true },
  { name: "SIGTERM", stop: (server) => signalQuietly(server.pid, "SIGTERM"), graceful: true },
  { name: "SIGKILL", stop: (server) => signalQuietly(server.pid, "SIGKILL"), graceful: false },
  { name: "a crash (SIGABRT)", stop: (server) => signalQuietly(server.pid, "SIGABRT"), graceful: false }
]

describe("nothing outlives the server", () => {
  let sleep: MarkedSleep
  let scratch: string

  beforeEach(() => {
    sleep = markedSleep()
    // The crash scenario may leave a core file where the server runs: not in the repository.
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-death-"))
  })

  afterEach(() => {
    sleep.dispose()
    fs.rmSync(scratch, { recursive: true, force: true })
  })

  for (const scenario of scenarios) {
    it(`stops every job and the guard when ${scenario.name}`, async () => {
      const running = startRawServerForTest({ MCP_BG_KILL_GRACE: String(GRACE_S) }, { cwd: scratch })
      await running.initialize()
      for (const command of jobCommands(sleep.sleep)) await running.tool("execute", { command })
      await expectEventually(`${SLEEPERS} sleeps run`, () => sleep.sleepers() === SLEEPERS)
      const guards = childrenOf(running.pid, "guard/main.js")
      expect(guards).toHaveLength(1)
      const guard = guards[0]!

      scenario.stop(running)
      const exit = await running.exited
      if (scenario.graceful) {
        expect(exit).toEqual({ code: 0, signal: null })
      } else {
        expect(exit.code).toBeNull()
      }
      await expectEventually("no process of any job is left", () => sleep.live() === 0, BOUND_MS)
      await expectEventually("the guard is gone", () => !pidAlive(guard), BOUND_MS)
      expect(running.strayLines).toEqual([])
    })
  }

  it("on SIGTERM sends every job SIGTERM at once, and SIGKILL only after the grace period", async () => {
    const grace = 3
    const jobCount = 3
    const record = path.join(scratch, "terms")
    const running = startRawServerForTest({ MCP_BG_KILL_GRACE: String(grace) }, { cwd: scratch })
    await running.initialize()
    // Each job notes its SIGTERM and carries on (a new sleep), so only SIGKILL ends it.
    const command = `trap 'echo term >> ${record}' TERM; while :; do ${sleep.sleep} 300 & wait; done`
    const shells: Array<number> = []
    for (let i = 0; i < jobCount; i++) shells.push((await running.tool<{ pid: number }>("execute", { command })).pid)
    await expectEventually(`${jobCount} sleeps run`, () => sleep.sleepers() === jobCount)

    const stoppedAt = Date.now()
    signalQuietly(running.pid, "SIGTERM")
    await expectEventually("every job noted its SIGTERM", () =>
      fs.existsSync(record) && fs.readFileSync(record, "utf8").split("\n").filter((line) => line === "term").length === jobCount)
    // Within the grace period the jobs carry on: SIGKILL has not come yet.
    expect(shells.filter(pidAlive)).toHaveLength(jobCount)
    expect(await running.exited).toEqual({ code: 0, signal: null })
    const shutdownMs = Date.now() - stoppedAt
    expect(sleep.live()).toBe(0)
    // Stopped together: one grace period, not one per job one after another.
    expect(shutdownMs).toBeGreaterThanOrEqual(grace * 1000 - 100)
    expect(shutdownMs).toBeLessThan(jobCount * grace * 1000 - 1000)
  })
})
