/**
 * Recognising a job's processes by the marker in their environment: a process caught mid-exec shows an
 * empty environment for a moment, which must not be taken (and remembered) as "not the job's"; a kernel thread
 * has none at all and is skipped.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { afterEach, assert, describe, expect, it } from "vitest"
import { JOB_MARKER_VARIABLE, JobTree, MarkerCache } from "../../../src/internal/jobTree.js"
import { readProcess } from "../../../src/internal/processTable.js"
import { eventually } from "../../support/polling.js"

describe("MarkerCache", () => {
  const children: Array<ReturnType<typeof spawn>> = []
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL")
  })

  /** A sleep with exactly `env`, once it runs sleep (before its exec, the child still has the test's environment). */
  const start = async (env: Record<string, string>) => {
    const child = spawn("/bin/sleep", ["30"], { env, stdio: "ignore" })
    children.push(child)
    const cmdline = () => fs.readFileSync(`/proc/${child.pid}/cmdline`, "latin1")
    if (!(await eventually(() => cmdline().startsWith("/bin/sleep\0"), 5000))) throw new Error("the child never ran sleep")
    const entry = readProcess(child.pid!)
    if (entry === undefined) throw new Error("the child is not in /proc")
    return entry
  }

  it("reads the marker of a process that carries one, once", async () => {
    const entry = await start({ [JOB_MARKER_VARIABLE]: "abc123", PATH: "/bin" })
    const markers = new MarkerCache()
    expect(markers.read(entry)).toEqual({ startTime: entry.startTime, value: "abc123" })
    expect(markers.read(entry)).toEqual({ startTime: entry.startTime, value: "abc123" })
  })

  it("keeps an empty environment pending for a while (however often it is read) before taking it as unmarked", async () => {
    const entry = await start({})
    let now = 1_000
    const markers = new MarkerCache(() => now)
    // Many jobs may look in one instant: reads alone never settle it.
    for (let read = 0; read < 10; read++) expect(markers.read(entry)).toBe("pending")
    now += 99
    expect(markers.read(entry)).toBe("pending")
    now += 1
    expect(markers.read(entry)).toEqual({ startTime: entry.startTime, value: undefined })
    // Taken as unmarked once, it stays so.
    expect(markers.read(entry)).toEqual({ startTime: entry.startTime, value: undefined })
  })
  it("never waits on a kernel thread: it has no environment, and is never a job's", async () => {
    const entry = await start({})
    const tree = new JobTree(1, "token", 0)
    // The same empty environment: pending for a program (it may be mid-exec), skipped for a kernel thread.
    assert.isTrue(tree.findMarked([entry], new MarkerCache()).pending)
    assert.deepStrictEqual(tree.findMarked([{ ...entry, kernelThread: true }], new MarkerCache()), { found: [], pending: false })
    assert.isFalse(readProcess(process.pid)!.kernelThread)
    // Where the kernel's threads are visible, kthreadd (pid 2) is read as one.
    const kthreadd = readProcess(2)
    if (kthreadd !== undefined && kthreadd.ppid === 0) assert.isTrue(kthreadd.kernelThread)
  })
})
