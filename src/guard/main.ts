#!/usr/bin/env node
/**
 * The guard process: the server starts it detached, with a pipe to its stdin, and tells it every job's
 * process group (and the processes that left a group). When the pipe closes without a goodbye — the server
 * was killed with SIGKILL or crashed — the guard stops every group and process it was told about (SIGTERM,
 * then SIGKILL after the grace period) and exits. It signals nothing it was not told about, and it never
 * outlives the server by more than the grace period plus a margin.
 *
 * Usage: `node guard/main.js <server pid> <grace in milliseconds>`.
 *
 * @internal
 */
import { environEntries, isLive, listProcesses, type ProcessEntry } from "../internal/processTable.js"
import { decodeGuardMessage, type GuardMessage } from "./protocol.js"

/** How often the guard looks whether the stopped processes are gone, and whether the server still lives. */
const POLL_MS = 100
const PARENT_CHECK_MS = 1000
/** After SIGKILL a process is gone at once unless stuck in the kernel: the guard exits by this margin anyway. */
const EXIT_MARGIN_MS = 1500

interface WatchedGroup {
  readonly startedAfter: number
  readonly marker: string
  /** Processes of the job outside its group: pid to start time. */
  readonly processes: Map<number, number>
}

const serverPid = Number(process.argv[2])
const graceMs = Number(process.argv[3])
if (!Number.isSafeInteger(serverPid) || serverPid <= 0 || !Number.isFinite(graceMs) || graceMs < 0) {
  process.stderr.write("usage: node guard/main.js <server pid> <grace in milliseconds>\n")
  process.exit(2)
}

const groups = new Map<number, WatchedGroup>()
let stopping = false

const log = (text: string): void => {
  process.stderr.write(`mcp-background-job guard: ${text}\n`)
}

const send = (target: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(target, signal)
  } catch {
    // gone already
  }
}

const apply = (message: GuardMessage): void => {
  switch (message._tag) {
    case "group":
      groups.set(message.pgid, { startedAfter: message.startedAfter, marker: message.marker, processes: new Map() })
      return
    case "process":
      groups.get(message.pgid)?.processes.set(message.pid, message.startTime)
      return
    case "release":
      groups.delete(message.pgid)
      return
    case "bye":
      process.exit(0)
  }
}

/** Adds the live processes outside the watched groups that carry a watched job's marker. */
const recordMarked = (table: ReadonlyArray<ProcessEntry>): void => {
  const byMarker = new Map<string, WatchedGroup>()
  let oldest = Number.POSITIVE_INFINITY
  for (const group of groups.values()) {
    byMarker.set(group.marker, group)
    oldest = Math.min(oldest, group.startedAfter)
  }
  for (const entry of table) {
    if (!isLive(entry) || entry.pid === process.pid || entry.startTime < oldest || groups.has(entry.pgid)) continue
    for (const variable of environEntries(entry.pid) ?? []) {
      const group = byMarker.get(variable)
      if (group !== undefined && entry.startTime >= group.startedAfter) group.processes.set(entry.pid, entry.startTime)
    }
  }
}

/** Signals (or with `signal` undefined, only counts) every watched group and process still alive. */
const sweep = (signal: NodeJS.Signals | undefined): number => {
  const table = listProcesses()
  if (signal !== undefined) recordMarked(table)
  const liveGroups = new Set<number>()
  const byPid = new Map<number, ProcessEntry>()
  for (const entry of table) {
    byPid.set(entry.pid, entry)
    if (isLive(entry) && groups.has(entry.pgid)) liveGroups.add(entry.pgid)
  }
  let alive = 0
  for (const [pgid, group] of groups) {
    if (liveGroups.has(pgid)) {
      alive++
      if (signal !== undefined) send(-pgid, signal)
    }
    for (const [pid, startTime] of group.processes) {
      const entry = byPid.get(pid)
      if (entry === undefined || entry.startTime !== startTime || !isLive(entry)) continue
      alive++
      if (signal !== undefined) send(pid, signal)
    }
  }
  return alive
}

const stopEverything = (reason: string): void => {
  if (stopping) return
  stopping = true
  if (groups.size === 0) process.exit(0)
  log(`stopping the ${groups.size} job(s) the server left running: ${reason}.`)
  setTimeout(() => process.exit(0), graceMs + EXIT_MARGIN_MS)
  const killAt = Date.now() + graceMs
  let killed = false
  if (sweep("SIGTERM") === 0) process.exit(0)
  setInterval(() => {
    if (sweep(undefined) === 0) process.exit(0)
    if (!killed && Date.now() >= killAt) {
      killed = true
      sweep("SIGKILL")
    }
  }, POLL_MS)
}

let pending = ""
process.stdin.setEncoding("latin1")
process.stdin.on("data", (chunk: string) => {
  pending += chunk
  let newline = pending.indexOf("\n")
  while (newline >= 0) {
    const message = decodeGuardMessage(pending.slice(0, newline))
    pending = pending.slice(newline + 1)
    if (message !== undefined && !stopping) apply(message)
    newline = pending.indexOf("\n")
  }
})
process.stdin.on("end", () => stopEverything("the server's pipe closed without a goodbye"))
process.stdin.on("error", () => stopEverything("the server's pipe broke"))
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(signal, () => stopEverything(`the guard received ${signal}`))
}
// Belt and braces: a server that is gone has no pipe either, but check the parent link too.
setInterval(() => {
  if (process.ppid !== serverPid) stopEverything("the server process is gone")
}, PARENT_CHECK_MS)
