/**
 * A read of the system's process table from `/proc` (Linux). Used to tell live group members from zombies
 * and to find a job's descendants. Where `/proc` is missing, `available` is false.
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
}

/** @internal */
export const procAvailable: boolean = fs.existsSync("/proc/self/stat")

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
const parseStat = (text: string): ProcessEntry | undefined => {
  const close = text.lastIndexOf(")")
  if (close < 0) return undefined
  const pid = Number.parseInt(text, 10)
  const fields = text.slice(close + 2).split(" ")
  const state = fields[0]
  if (state === undefined || fields.length < 4) return undefined
  return { pid, state, ppid: Number(fields[1]), pgid: Number(fields[2]), sid: Number(fields[3]) }
}

/** Reads one process, or undefined when it is gone. @internal */
export const readProcess = (pid: number): ProcessEntry | undefined => {
  const text = readFileOrUndefined(`/proc/${pid}/stat`)
  return text === undefined ? undefined : parseStat(text)
}

/** Every process visible now. @internal */
export const listProcesses = (): Array<ProcessEntry> => {
  const entries: Array<ProcessEntry> = []
  for (const name of readDirOrEmpty("/proc")) {
    const code = name.charCodeAt(0)
    if (code < 48 || code > 57) continue
    const entry = readProcess(Number(name))
    if (entry !== undefined) entries.push(entry)
  }
  return entries
}

/** Live (not zombie) members of a process group. @internal */
export const liveGroupMembers = (pgid: number): Array<ProcessEntry> =>
  listProcesses().filter((p) => p.pgid === pgid && p.state !== "Z" && p.state !== "X")

/** Live descendants of `root` (not including it), by parent links. @internal */
export const liveDescendants = (root: number, table: ReadonlyArray<ProcessEntry> = listProcesses()) => {
  const children = new Map<number, Array<ProcessEntry>>()
  for (const entry of table) {
    const siblings = children.get(entry.ppid)
    if (siblings === undefined) children.set(entry.ppid, [entry])
    else siblings.push(entry)
  }
  const found: Array<ProcessEntry> = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (child.state !== "Z" && child.state !== "X") found.push(child)
      queue.push(child.pid)
    }
  }
  return found
}

// Processes come and go between readdir and read: a vanished entry is simply skipped.
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
