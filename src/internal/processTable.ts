/**
 * A read of the system's process table from `/proc` (Linux). Used to tell live group members from zombies,
 * to find a job's descendants, and to recognise a job's processes by a variable in their environment.
 * Where `/proc` is missing, `procAvailable` is false. Plain Node (no Effect): the guard process uses it too.
 *
 * @internal
 */
import * as fs from "node:fs"

/** @internal */
export interface ProcessEntry {
  readonly pid: number
  readonly ppid: number
  readonly pgid: number
  readonly sid: number
  /** Single-letter state from /proc/<pid>/stat: R, S, D, Z, T, ... */
  readonly state: string
  /** When the process started, in clock ticks since boot: with the pid, it names one process for good. */
  readonly startTime: number
  /** A kernel thread (no program, no environment): never a job's process. */
  readonly kernelThread: boolean
}

/** The kernel-thread bit of the flags field of /proc/<pid>/stat. */
const PF_KTHREAD = 0x00200000

/** @internal */
export const procAvailable: boolean = fs.existsSync("/proc/self/stat")

/** Clock ticks per second of /proc times (USER_HZ, 100 on every Linux architecture). @internal */
export const TICKS_PER_SECOND = 100

/** Zombies (Z) and dying entries (X) are dead: only their table entry is left. @internal */
export const isLive = (entry: ProcessEntry): boolean => entry.state !== "Z" && entry.state !== "X"

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
const parseStat = (text: string): ProcessEntry | undefined => {
  const close = text.lastIndexOf(")")
  if (close < 0) return undefined
  const pid = Number.parseInt(text, 10)
  const fields = text.slice(close + 2).split(" ")
  const state = fields[0]
  // Field 22 of the stat line (starttime) is the 20th after the command name.
  if (state === undefined || fields.length < 20) return undefined
  return {
    pid,
    state,
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    startTime: Number(fields[19]),
    // Field 9 of the stat line (flags) is the 7th after the command name.
    kernelThread: (Number(fields[6]) & PF_KTHREAD) !== 0
  }
}

/** Reads one process, or undefined when it is gone. @internal */
export const readProcess = (pid: number): ProcessEntry | undefined => {
  const text = readSmallFileOrUndefined(`/proc/${pid}/stat`)
  return text === undefined ? undefined : parseStat(text)
}

/** Whether the process `pid` that started at `startTime` is still alive (not a zombie, pid not reused). @internal */
export const stillAlive = (pid: number, startTime: number): boolean => {
  const now = readProcess(pid)
  return now !== undefined && now.startTime === startTime && isLive(now)
}

/** Every process visible now, or with `include` only those whose pid it accepts. @internal */
export const listProcesses = (include?: (pid: number) => boolean): Array<ProcessEntry> => {
  const entries: Array<ProcessEntry> = []
  for (const name of readDirOrEmpty("/proc")) {
    const code = name.charCodeAt(0)
    if (code < 48 || code > 57) continue
    const pid = Number(name)
    if (include !== undefined && !include(pid)) continue
    const entry = readProcess(pid)
    if (entry !== undefined) entries.push(entry)
  }
  if (include === undefined) snapshot = { takenAt: Date.now(), entries }
  return entries
}

/**
 * Accepts the pids the kernel handed out after `pid` (and `pid` itself), going round at `pid_max`: the pids of
 * every process started since. Only valid while fewer than `pid_max` pids have been handed out since, so use it
 * for a short while only. Undefined where the kernel's last pid cannot be read.
 *
 * @internal
 */
export const pidsSince = (pid: number): ((candidate: number) => boolean) | undefined => {
  const text = readSmallFileOrUndefined("/proc/sys/kernel/ns_last_pid")
  const last = text === undefined ? Number.NaN : Number.parseInt(text, 10)
  if (!Number.isSafeInteger(last)) return undefined
  return last >= pid ? (candidate) => candidate >= pid && candidate <= last : (candidate) => candidate >= pid || candidate <= last
}

let snapshot: { readonly takenAt: number; readonly entries: Array<ProcessEntry> } | undefined

/**
 * The process table as read at most `maxAgeMs` ago: many jobs polling for their group's end share one read
 * instead of each walking /proc. Callers must treat an entry as possibly stale.
 *
 * @internal
 */
export const recentProcesses = (maxAgeMs: number): ReadonlyArray<ProcessEntry> => {
  const current = snapshot
  return current !== undefined && Date.now() - current.takenAt <= maxAgeMs ? current.entries : listProcesses()
}

/** Live (not zombie) members of a process group. @internal */
export const liveGroupMembers = (pgid: number): Array<ProcessEntry> =>
  listProcesses().filter((p) => p.pgid === pgid && isLive(p))

/** Live descendants of any of `roots` (not including the roots), by parent links. @internal */
export const liveDescendantsOf = (roots: Iterable<number>, table: ReadonlyArray<ProcessEntry>): Array<ProcessEntry> => {
  const children = new Map<number, Array<ProcessEntry>>()
  for (const entry of table) {
    const siblings = children.get(entry.ppid)
    if (siblings === undefined) children.set(entry.ppid, [entry])
    else siblings.push(entry)
  }
  const found: Array<ProcessEntry> = []
  const visited = new Set<number>()
  const queue = Array.from(roots)
  for (const root of queue) visited.add(root)
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (visited.has(child.pid)) continue
      visited.add(child.pid)
      if (isLive(child)) found.push(child)
      queue.push(child.pid)
    }
  }
  return found
}

/** The process's environment entries (`NAME=value`), as it was when it started its program; undefined when unreadable. @internal */
export const environEntries = (pid: number): Array<string> | undefined => {
  const text = readFileOrUndefined(`/proc/${pid}/environ`)
  return text === undefined ? undefined : text.split("\0")
}

/** How long a read of /proc/uptime is followed on the monotonic clock before it is read again. */
const UPTIME_REREAD_MS = 10_000

let uptimeRead: { readonly ticks: number; readonly at: number } | undefined

/**
 * Clock ticks since boot now, on the same scale as `ProcessEntry.startTime`: /proc/uptime read at most every
 * few seconds and followed on the monotonic clock in between. That clock stops during suspend (the figure then
 * lags, which is safe for a lower bound) and is slewed by at most 0.05%, so it leads the truth by half a tick at
 * most: a caller that takes one tick off for a lower bound never excludes a process started after it.
 *
 * @internal
 */
export const ticksSinceBoot = (): number => {
  const now = performance.now()
  if (uptimeRead === undefined || now - uptimeRead.at > UPTIME_REREAD_MS) {
    const text = readFileOrUndefined("/proc/uptime")
    const seconds = text === undefined ? Number.NaN : Number.parseFloat(text)
    if (!Number.isFinite(seconds)) return 0
    uptimeRead = { ticks: Math.floor(seconds * TICKS_PER_SECOND), at: now }
  }
  return uptimeRead.ticks + Math.floor(((now - uptimeRead.at) * TICKS_PER_SECOND) / 1000)
}

// Processes come and go between readdir and read: a vanished entry is simply skipped.

/** A stat line is well under 1 KiB; one read into a shared buffer costs a third of `readFileSync`. */
const smallBuffer = Buffer.alloc(4096)

const readSmallFileOrUndefined = (file: string): string | undefined => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, "r")
    const length = fs.readSync(fd, smallBuffer, 0, smallBuffer.length, 0)
    return length < smallBuffer.length ? smallBuffer.toString("latin1", 0, length) : fs.readFileSync(file, "latin1")
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

const readFileOrUndefined = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "latin1")
  } catch {
    return undefined
  }
}

const readDirOrEmpty = (dir: string): Array<string> => {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}
