/**
 * The process table as tests see it (/proc): processes found by a marker in their command line, by their
 * parent or by pid, their descriptors and memory, and signals that ignore a process already gone.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"

/** A string unlikely to appear in any other process's command line. */
export const uniqueMarker = (label = "mbj"): string => `${label}-${randomUUID().slice(0, 12)}`

export interface LiveProcess {
  readonly pid: number
  readonly ppid: number
  readonly pgid: number
  readonly state: string
  readonly cmdline: string
}

/** Every pid in /proc. */
const pids = (): Array<number> => fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)

/** State, parent and group of a process; undefined once it is gone. */
const statOf = (pid: number): { readonly state: string; readonly ppid: number; readonly pgid: number } | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    // The command name in parentheses may hold spaces: the fields start after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) }
  } catch {
    return undefined
  }
}

/** The command line with its arguments joined by spaces; undefined once the process is gone. */
const cmdlineOf = (pid: number): string | undefined => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ").trim()
  } catch {
    return undefined
  }
}

const isDead = (state: string): boolean => state === "Z" || state === "X"

/** Live (non-zombie) processes whose command line contains `marker`. */
export const processesWithMarker = (marker: string): Array<LiveProcess> =>
  pids().flatMap((pid) => {
    const cmdline = cmdlineOf(pid)
    if (cmdline === undefined || !cmdline.includes(marker)) return []
    const stat = statOf(pid)
    return stat === undefined || isDead(stat.state) ? [] : [{ pid, ...stat, cmdline }]
  })

/** Whether a process with this pid exists and is not a zombie. */
export const pidAlive = (pid: number): boolean => {
  const stat = statOf(pid)
  return stat !== undefined && !isDead(stat.state)
}

/** Live child processes of `pid` whose command line contains `text`. */
export const childrenOf = (pid: number, text: string): Array<number> =>
  pids().filter((child) => {
    const stat = statOf(child)
    return stat !== undefined && stat.ppid === pid && !isDead(stat.state) && (cmdlineOf(child) ?? "").includes(text)
  })

/** Zombie children of `pid`: processes it started and never reaped. */
export const zombieChildren = (pid: number): number =>
  pids().filter((child) => {
    const stat = statOf(child)
    return stat !== undefined && stat.state === "Z" && stat.ppid === pid
  }).length

/** Open file descriptors of a process. */
export const openFds = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length

/** Resident memory of a process, in bytes. */
export const residentBytes = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? 0 : Number(match[1]) * 1024
}

/** Sends a signal, ignoring a process that is already gone. */
export const signalQuietly = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}

/** Kills every live process with `marker` (cleanup after a failed test). */
export const killMarked = (marker: string): void => {
  for (const p of processesWithMarker(marker)) signalQuietly(p.pid, "SIGKILL")
}
