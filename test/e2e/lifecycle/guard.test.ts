/**
 * The guard process on its own (`dist/guard/main.js`), told about process groups by this test as the server
 * would: when its pipe closes without a goodbye it stops exactly what it was told about — SIGTERM, then SIGKILL
 * after the grace period — and exits; after a goodbye it exits without signalling anything.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { encodeGuardMessage, type GuardMessage } from "../../../src/guard/protocol.js"
import { JOB_MARKER_VARIABLE } from "../../../src/internal/jobTree.js"
import { readProcess, ticksSinceBoot } from "../../../src/internal/processTable.js"
import { binEnv, guardPath } from "../../support/bin.js"
import { type MarkedSleep, markedSleep } from "../../support/markedSleep.js"
import { expectEventually } from "../../support/polling.js"
import { pidAlive, signalQuietly } from "../../support/processes.js"

const GRACE_MS = 1500
/** The guarantee is grace + 2 s; the margin absorbs a loaded machine. */
const BOUND_MS = GRACE_MS + 2000 + 3000

describe("the guard process", () => {
  let sleep: MarkedSleep
  const started: Array<ChildProcess> = []

  beforeEach(() => {
    sleep = markedSleep()
  })

  afterEach(() => {
    for (const child of started.splice(0)) signalQuietly(child.pid!, "SIGKILL")
    sleep.dispose()
  })

  /** A process in its own group (like a job's shell), optionally ignoring SIGTERM or carrying extra variables. */
  const startGroup = (options: { readonly ignoreTerm?: boolean; readonly env?: Record<string, string> } = {}) => {
    const script = options.ignoreTerm === true ? `trap '' TERM; ${sleep.sleep} 300` : `${sleep.sleep} 300`
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore", env: binEnv(options.env) })
    started.push(child)
    return child.pid!
  }

  const startGuard = () => {
    const guard = spawn(process.execPath, [guardPath, String(process.pid), String(GRACE_MS)], {
      detached: true,
      stdio: ["pipe", "ignore", "pipe"]
    })
    started.push(guard)
    guard.stdin!.on("error", () => {})
    const exited = new Promise<void>((resolve) => guard.once("exit", () => resolve()))
    return {
      pid: guard.pid!,
      exited,
      tell: (message: GuardMessage) => guard.stdin!.write(encodeGuardMessage(message)),
      closePipe: () => guard.stdin!.end()
    }
  }

  const group = (pgid: number, marker = `${JOB_MARKER_VARIABLE}=unused`): GuardMessage => ({
    _tag: "group",
    pgid,
    startedAfter: ticksSinceBoot() - 100,
    marker
  })

  it("stops the groups it was told about when its pipe closes, and nothing else", async () => {
    const plain = startGroup()
    const stubborn = startGroup({ ignoreTerm: true })
    const untold = startGroup()
    const released = startGroup()
    const escaped = startGroup()
    const token = randomBytes(8).toString("hex")
    const marker = `${JOB_MARKER_VARIABLE}=${token}`
    const marked = startGroup({ env: { [JOB_MARKER_VARIABLE]: token } })
    await expectEventually("every sleep runs", () => sleep.sleepers() === 6)

    const guard = startGuard()
    guard.tell(group(plain, marker))
    guard.tell(group(stubborn))
    guard.tell(group(released))
    guard.tell({ _tag: "release", pgid: released })
    const escapedEntry = readProcess(escaped)!
    guard.tell({ _tag: "process", pgid: plain, pid: escaped, startTime: escapedEntry.startTime })
    // A process that reuses a pid must not be signalled: a start time that does not match is ignored.
    guard.tell({ _tag: "process", pgid: plain, pid: untold, startTime: readProcess(untold)!.startTime + 1 })

    const closedAt = Date.now()
    guard.closePipe()
    await expectEventually("the told groups, the told process and the marked one are stopped", () =>
      !pidAlive(plain) && !pidAlive(escaped) && !pidAlive(marked))
    // SIGTERM first: the group that ignores it outlives the others until the grace period passes.
    expect(pidAlive(stubborn) || Date.now() - closedAt >= GRACE_MS).toBe(true)
    await expectEventually("the group that ignores SIGTERM is killed", () => !pidAlive(stubborn), BOUND_MS)
    await guard.exited
    expect(Date.now() - closedAt).toBeLessThan(BOUND_MS)
    expect(pidAlive(untold)).toBe(true)
    expect(pidAlive(released)).toBe(true)
  })

  it("exits after a goodbye without signalling anything", async () => {
    const job = startGroup()
    await expectEventually("the sleep runs", () => sleep.sleepers() === 1)
    const guard = startGuard()
    guard.tell(group(job))
    guard.tell({ _tag: "bye" })
    guard.closePipe()
    await guard.exited
    expect(pidAlive(job)).toBe(true)
  })

  it("exits at once when its pipe closes and it was told about nothing", async () => {
    const guard = startGuard()
    guard.closePipe()
    await guard.exited
    expect(pidAlive(guard.pid)).toBe(false)
  })
})
