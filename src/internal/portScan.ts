/**
 * Reading which sockets listen, and which processes hold them: on Linux from `/proc/net/{tcp,tcp6,udp,udp6}`
 * (inodes) and `/proc/<pid>/fd` (which process holds which inode), with no other program; elsewhere from one
 * run of `lsof`. Where neither works the ports are unknown.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import type { JobPorts } from "../domain/JobViews.js"
import {
  formatAddress,
  jobPorts,
  type ListeningSocket,
  type LsofSocket,
  parseLsof,
  parseProcNet,
  type ProcSocket,
  socketInode
} from "./socketTable.js"

/** The processes whose sockets make one job's ports: its process group and every process known to be its. @internal */
export interface PortOwner {
  readonly pgid: number
  readonly pids: ReadonlyArray<number>
}

/** Where listening sockets can be read here. @internal */
export type PortSource = "proc" | "lsof" | "none"

const PROC_TABLES = [
  ["/proc/net/tcp", "tcp", 4],
  ["/proc/net/tcp6", "tcp", 6],
  ["/proc/net/udp", "udp", 4],
  ["/proc/net/udp6", "udp", 6]
] as const

const LSOF_ARGS = ["-nP", "-iTCP", "-iUDP", "-FpgftPnT"]
/** lsof walks every process: bound it, so that a stuck lsof never holds a call. */
const LSOF_TIMEOUT_MS = 5_000
const LITTLE_ENDIAN = os.endianness() === "LE"

const procNetAvailable = fs.existsSync("/proc/net/tcp")
/** Set once lsof failed to run: it is not asked again. */
let lsofMissing = false

/** Where sockets are read from now. @internal */
export const portSource = (): PortSource => (procNetAvailable ? "proc" : lsofMissing ? "none" : "lsof")

/** Shared by every read: a /proc/net table of a few hundred sockets fits in one read. */
const readBuffer = Buffer.alloc(64 * 1024)

/**
 * A /proc/net table, read in as few read calls as possible: each call walks the kernel's whole socket hash
 * (1–2 ms per call for tcp with 262,144 buckets, measured here), and `readFileSync` makes several.
 */
const readOrEmpty = (file: string): string => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, "r")
    const chunks: Array<string> = []
    let length: number
    while ((length = fs.readSync(fd, readBuffer, 0, readBuffer.length, null)) > 0) chunks.push(readBuffer.toString("latin1", 0, length))
    return chunks.join("")
  } catch {
    // tcp6/udp6 are missing where IPv6 is off
    return ""
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** Every listening socket of this network namespace, from /proc/net. @internal */
export const procSockets = (): Array<ProcSocket> =>
  PROC_TABLES.flatMap(([file, protocol, family]) => parseProcNet(readOrEmpty(file), protocol, family, LITTLE_ENDIAN))

/** The socket inodes a process holds open; none when it is gone or not ours to read. */
const socketInodesOf = (pid: number): Array<number> => {
  let names: Array<string>
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`)
  } catch {
    return []
  }
  const inodes: Array<number> = []
  for (const name of names) {
    try {
      const inode = socketInode(fs.readlinkSync(`/proc/${pid}/fd/${name}`))
      if (inode !== undefined) inodes.push(inode)
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes
}

/** Each owner's ports from /proc: its processes' descriptors matched against the listening sockets' inodes. */
const procPorts = (owners: ReadonlyArray<PortOwner>, sockets: ReadonlyArray<ProcSocket>): Array<JobPorts> => {
  const byInode = new Map(sockets.map((socket) => [socket.inode, socket]))
  return owners.map((owner) => {
    if (byInode.size === 0) return jobPorts([])
    const held: Array<ListeningSocket> = []
    for (const pid of new Set(owner.pids)) {
      for (const inode of socketInodesOf(pid)) {
        const socket = byInode.get(inode)
        if (socket !== undefined) held.push(socket)
      }
    }
    return jobPorts(held)
  })
}

/** lsof's listing, or undefined when lsof cannot run (it exits 1 when it lists nothing: that is an empty listing). */
const runLsof: Effect.Effect<Array<LsofSocket> | undefined> = Effect.async((resume) => {
  const child = execFile("lsof", LSOF_ARGS, { timeout: LSOF_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
    if (error === null || (typeof error.code === "number" && (error.code === 1 || stdout.length > 0))) {
      resume(Effect.succeed(parseLsof(stdout)))
      return
    }
    if (error.code === "ENOENT") lsofMissing = true
    resume(Effect.succeed(undefined))
  })
  return Effect.sync(() => child.kill("SIGKILL"))
})

const lsofPorts = (owners: ReadonlyArray<PortOwner>, sockets: ReadonlyArray<LsofSocket>): Array<JobPorts> =>
  owners.map((owner) => {
    const pids = new Set(owner.pids)
    return jobPorts(sockets.filter((socket) => socket.pgid === owner.pgid || pids.has(socket.pid)))
  })

/**
 * The ports of each owner (in order), from one read of the sockets for all of them; undefined where no source
 * works here.
 *
 * @internal
 */
export const scanPorts = (owners: ReadonlyArray<PortOwner>): Effect.Effect<Array<JobPorts> | undefined> => {
  // Jobs with no process left hold no socket: nothing to read.
  if (owners.every((owner) => owner.pids.length === 0 && owner.pgid < 0)) return Effect.succeed(owners.map(() => jobPorts([])))
  if (procNetAvailable) return Effect.sync(() => procPorts(owners, procSockets()))
  if (lsofMissing) return Effect.succeed(undefined)
  return Effect.map(runLsof, (sockets) => (sockets === undefined ? undefined : lsofPorts(owners, sockets)))
}

/**
 * A cheap fingerprint of every listening socket here (their inodes): while it stays the same, no job started or
 * stopped listening. Undefined where it cannot be read cheaply (no /proc).
 *
 * @internal
 */
export const listeningFingerprint = (): string | undefined => {
  if (!procNetAvailable) return undefined
  return procSockets().map((socket) => socket.inode).sort((a, b) => a - b).join(",")
}

/**
 * Which of `ports` something still listens on, whoever holds it; undefined where sockets cannot be read.
 *
 * @internal
 */
export const stillListening = (ports: JobPorts): Effect.Effect<Array<string> | undefined> => {
  const wanted = new Set([...ports.tcp.map((port) => `tcp ${port.address}`), ...ports.udp.map((port) => `udp ${port.address}`)])
  const busy = (sockets: ReadonlyArray<ListeningSocket>) =>
    Array.from(new Set(sockets.map((socket) => `${socket.protocol} ${formatAddress(socket.host, socket.port)}`)))
      .filter((key) => wanted.has(key))
      .map((key) => key.slice(4))
  if (procNetAvailable) return Effect.sync(() => busy(procSockets()))
  if (lsofMissing) return Effect.succeed(undefined)
  return Effect.map(runLsof, (sockets) => (sockets === undefined ? undefined : busy(sockets)))
}
