/**
 * Every process one job started: its process group, plus the processes that left the group (a new session
 * with `setsid`, a new group under job control). Those are found by parent links from the group while the
 * job runs, and by the job's marker variable, which every process the job starts inherits in its environment
 * unless it clears it. A recorded process is named by pid and start time, so a reused pid is never signalled.
 *
 * @internal
 */
import {
  environEntries,
  isLive,
  listProcesses,
  liveDescendantsOf,
  type ProcessEntry,
  procAvailable,
  readProcess,
  recentProcesses,
  stillAlive
} from "./processTable.js"

/** The environment variable that marks every process of a job: `MCP_BG_JOB_TOKEN=<random token>`. @internal */
export const JOB_MARKER_VARIABLE = "MCP_BG_JOB_TOKEN"

/** Many jobs polling for their end share one read of the process table this recent. */
export const SHARED_READ_AGE_MS = 40

/**
 * What reading a process's marker gave: its value (undefined when it carries none), or `pending` when the
 * process was caught between replacing its program and setting up its new environment (`exec`), when
 * /proc shows an empty environment for a moment. A pending read is tried again at the next look.
 *
 * @internal
 */
export type MarkerRead = { readonly value: string | undefined } | "pending"

/**
 * How long a process may show an empty environment before it is taken as really empty (`env -i`), not
 * mid-exec: a time, not a count of reads, since many jobs may read the same process in one instant.
 */
const PENDING_MS = 100

/**
 * The marker value of processes, read from their environment once per process (pid and start time): when many
 * jobs look for their processes at once, each environment is read once, not once per job. A process that
 * replaces its environment later (exec) keeps the value it was first seen with, which is still the job it
 * came from.
 *
 * @internal
 */
export class MarkerCache {
  private readonly values = new Map<number, { readonly startTime: number; readonly value: string | undefined }>()
  /** When each process was first seen with an empty environment. */
  private readonly emptySince = new Map<number, { readonly startTime: number; readonly at: number }>()

  constructor(
    /** A monotonic clock in milliseconds. */
    private readonly now: () => number = () => performance.now()
  ) {}

  /** The marker value of a live process; `pending` while its environment cannot be read yet. */
  read(entry: ProcessEntry): MarkerRead {
    const cached = this.values.get(entry.pid)
    if (cached !== undefined && cached.startTime === entry.startTime) return cached
    const environ = environEntries(entry.pid)
    if (environ !== undefined && environ.length === 1 && environ[0] === "") {
      // Mid-exec, a live process shows an empty environment: not cached, so the next look reads it again.
      const previous = this.emptySince.get(entry.pid)
      const since = previous !== undefined && previous.startTime === entry.startTime ? previous.at : this.now()
      if (this.now() - since < PENDING_MS) {
        this.emptySince.set(entry.pid, { startTime: entry.startTime, at: since })
        return "pending"
      }
    }
    this.emptySince.delete(entry.pid)
    const prefix = `${JOB_MARKER_VARIABLE}=`
    const value = environ?.find((item) => item.startsWith(prefix))?.slice(prefix.length)
    const read = { startTime: entry.startTime, value }
    this.values.set(entry.pid, read)
    return read
  }

  /** Forgets processes that are not in `table` (a whole table), so that the cache stays as big as the system. */
  prune(table: ReadonlyArray<ProcessEntry>): void {
    if (this.values.size + this.emptySince.size <= table.length) return
    const present = new Set(table.map((entry) => entry.pid))
    for (const pid of this.values.keys()) if (!present.has(pid)) this.values.delete(pid)
    for (const pid of this.emptySince.keys()) if (!present.has(pid)) this.emptySince.delete(pid)
  }
}

/**
 * The processes a look for marked processes recorded, and whether it met one whose environment could not be
 * read yet (so that the look must be repeated before the job can be called gone).
 *
 * @internal
 */
export interface MarkedScan {
  readonly found: Array<ProcessEntry>
  readonly pending: boolean
}

/** Sends a signal; a process or group that is already gone (ESRCH) is not an error. */
const send = (target: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(target, signal)
  } catch {
    // gone already
  }
}

const exists = (target: number): boolean => {
  try {
    process.kill(target, 0)
    return true
  } catch {
    return false
  }
}

/** @internal */
export class JobTree {
  /** Processes outside the group that belong to the job: pid to start time. */
  private readonly escaped = new Map<number, number>()

  constructor(
    /** The shell's pid, which is also the job's process group id. */
    readonly pgid: number,
    /** The value of `JOB_MARKER_VARIABLE` in the environment of every process the job starts. */
    readonly token: string,
    /** Clock ticks since boot before the shell started: older processes cannot be the job's. */
    readonly startedAfter: number
  ) {}

  /** Records the live processes outside the group reachable by parent links from the group or from processes recorded before; returns the new ones. */
  track(table: ReadonlyArray<ProcessEntry>): Array<ProcessEntry> {
    const roots: Array<number> = []
    for (const entry of table) {
      if (entry.pgid === this.pgid || this.escaped.get(entry.pid) === entry.startTime) roots.push(entry.pid)
    }
    return this.recordAll(liveDescendantsOf(roots, table))
  }

  /** Records the live processes outside the group that carry the job's marker. Reads environments: call it at decisive moments, not on a timer. */
  findMarked(table: ReadonlyArray<ProcessEntry>, markers: MarkerCache): MarkedScan {
    let pending = false
    const candidates = table.filter((entry) => {
      if (
        !isLive(entry) ||
        entry.kernelThread ||
        entry.pgid === this.pgid ||
        entry.startTime < this.startedAfter ||
        entry.pid === process.pid ||
        this.escaped.get(entry.pid) === entry.startTime
      ) return false
      const read = markers.read(entry)
      if (read === "pending") {
        pending = true
        return false
      }
      return read.value === this.token
    })
    return { found: this.recordAll(candidates), pending }
  }

  /** Sends `signal` to the group and to every recorded process that is still the same process; `table` may be partial. */
  signal(signal: NodeJS.Signals, table: ReadonlyArray<ProcessEntry>, target: "group" | "programs" = "group"): void {
    if (target === "group") {
      send(-this.pgid, signal)
    } else {
      // Every live member but the shell (the group leader); the shell itself when it is alone.
      const programs = table.filter((entry) => entry.pgid === this.pgid && entry.pid !== this.pgid && isLive(entry))
      if (programs.length === 0 && this.escaped.size === 0) send(-this.pgid, signal)
      for (const program of programs) send(program.pid, signal)
    }
    const current = new Map(table.map((entry) => [entry.pid, entry]))
    for (const [pid, startTime] of this.escaped) {
      const entry = current.get(pid) ?? readProcess(pid)
      if (entry !== undefined && entry.startTime === startTime && isLive(entry)) send(pid, signal)
      else this.escaped.delete(pid)
    }
  }

  /** The live processes of the job in `table`: its group, the processes recorded out of it, and their descendants. */
  members(table: ReadonlyArray<ProcessEntry>): Array<number> {
    const roots = table.filter((entry) => entry.pgid === this.pgid || this.escaped.get(entry.pid) === entry.startTime)
    const rootPids = roots.map((entry) => entry.pid)
    return [...roots.filter(isLive).map((entry) => entry.pid), ...liveDescendantsOf(rootPids, table).map((entry) => entry.pid)]
  }

  /** Whether a live (not zombie) process is left in the group. */
  groupAlive(): boolean {
    // kill(-pgid, 0) also succeeds while only zombies remain (an init that does not reap): confirm in /proc.
    if (!exists(-this.pgid)) return false
    if (!procAvailable) return true
    let members = recentProcesses(SHARED_READ_AGE_MS).filter((entry) => entry.pgid === this.pgid)
    // A shared read older than the group itself knows nothing about it.
    if (members.length === 0) members = listProcesses().filter((entry) => entry.pgid === this.pgid)
    return members.some(isLive)
  }

  /** Whether any recorded process outside the group is still alive; forgets those that are gone. */
  escapedAlive(): boolean {
    let alive = false
    for (const [pid, startTime] of this.escaped) {
      if (stillAlive(pid, startTime)) alive = true
      else this.escaped.delete(pid)
    }
    return alive
  }

  private recordAll(entries: ReadonlyArray<ProcessEntry>): Array<ProcessEntry> {
    const added: Array<ProcessEntry> = []
    for (const entry of entries) {
      if (entry.pgid === this.pgid || this.escaped.get(entry.pid) === entry.startTime) continue
      this.escaped.set(entry.pid, entry.startTime)
      added.push(entry)
    }
    return added
  }
}
