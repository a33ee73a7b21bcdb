/**
 * Listening sockets as the system lists them, parsed: Linux's `/proc/net/{tcp,tcp6,udp,udp6}` (local address
 * and inode of each socket) and `lsof -F` output (pid, process group and address of each socket), and the
 * addresses and URLs a job's ports are shown with. Plain functions over text, so that each format is tested
 * with fixtures.
 *
 * @internal
 */
import type { JobPorts, ListeningPort } from "../domain/JobViews.js"

/** @internal */
export type SocketProtocol = "tcp" | "udp"

/** A socket that accepts connections (TCP `LISTEN`) or datagrams (UDP bound and not connected). @internal */
export interface ListeningSocket {
  readonly protocol: SocketProtocol
  readonly family: 4 | 6
  /** The local host as written in an address: `127.0.0.1`, `::`, `::ffff:127.0.0.1`. */
  readonly host: string
  readonly port: number
}

/** A listening socket from `/proc/net`, named by its inode (what `/proc/<pid>/fd/*` links to). @internal */
export interface ProcSocket extends ListeningSocket {
  readonly inode: number
}

/** A listening socket from `lsof`, with the process holding it. @internal */
export interface LsofSocket extends ListeningSocket {
  readonly pid: number
  readonly pgid: number | undefined
}

/** TCP_LISTEN and TCP_CLOSE (an unconnected UDP socket) in the `st` column of /proc/net. */
const TCP_LISTEN = 0x0a
const UDP_UNCONNECTED = 0x07

/** An IPv4 address from /proc/net: one 32-bit word in host byte order. */
const ipv4FromHex = (hex: string, littleEndian: boolean): string => {
  const bytes = [0, 2, 4, 6].map((at) => Number.parseInt(hex.slice(at, at + 2), 16))
  return (littleEndian ? bytes.reverse() : bytes).join(".")
}

/** An IPv6 address from /proc/net: four 32-bit words, each in host byte order. */
const ipv6FromHex = (hex: string, littleEndian: boolean): string => {
  const bytes: Array<number> = []
  for (let word = 0; word < 4; word++) {
    const wordBytes = [0, 2, 4, 6].map((at) => Number.parseInt(hex.slice(word * 8 + at, word * 8 + at + 2), 16))
    bytes.push(...(littleEndian ? wordBytes.reverse() : wordBytes))
  }
  return formatIpv6(bytes)
}

/** RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest run of zero groups as `::`, IPv4-mapped as dotted. */
export const formatIpv6 = (bytes: ReadonlyArray<number>): string => {
  const groups: Array<number> = []
  for (let at = 0; at < 16; at += 2) groups.push((bytes[at]! << 8) | bytes[at + 1]!)
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join(".")}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start++
      continue
    }
    let end = start
    while (end < 8 && groups[end] === 0) end++
    if (end - start > bestLength) {
      bestStart = start
      bestLength = end - start
    }
    start = end
  }
  const text = groups.map((group) => group.toString(16))
  if (bestStart < 0) return text.join(":")
  return `${text.slice(0, bestStart).join(":")}::${text.slice(bestStart + bestLength).join(":")}`
}

/**
 * The listening sockets of one `/proc/net/<protocol><6>` file: TCP sockets in `LISTEN`, UDP sockets that are
 * bound and not connected. `littleEndian` is the machine's byte order (addresses are written in it).
 *
 * @internal
 */
export const parseProcNet = (text: string, protocol: SocketProtocol, family: 4 | 6, littleEndian: boolean): Array<ProcSocket> => {
  const sockets: Array<ProcSocket> = []
  const wanted = protocol === "tcp" ? TCP_LISTEN : UDP_UNCONNECTED
  for (const line of text.split("\n")) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10 || !fields[0]!.endsWith(":")) continue
    if (Number.parseInt(fields[3]!, 16) !== wanted) continue
    const [hostHex, portHex] = fields[1]!.split(":")
    if (hostHex === undefined || portHex === undefined) continue
    const port = Number.parseInt(portHex, 16)
    const inode = Number(fields[9])
    // Inode 0: a socket being torn down, owned by no descriptor.
    if (port === 0 || !Number.isSafeInteger(inode) || inode === 0) continue
    const host = family === 4 ? ipv4FromHex(hostHex, littleEndian) : ipv6FromHex(hostHex, littleEndian)
    sockets.push({ protocol, family, host, port, inode })
  }
  return sockets
}

/** The inode a `/proc/<pid>/fd/*` link names when it is a socket (`socket:[12345]`). @internal */
export const socketInode = (link: string): number | undefined => {
  const match = /^socket:\[(\d+)\]$/.exec(link)
  return match === null ? undefined : Number(match[1])
}

/** `host:port` of lsof's name field (`*:3000`, `127.0.0.1:5173`, `[::1]:8080`), or undefined for a connection (`a->b`). */
const lsofAddress = (name: string, family: 4 | 6): { readonly host: string; readonly port: number } | undefined => {
  if (name.includes("->")) return undefined
  const colon = name.lastIndexOf(":")
  if (colon < 0) return undefined
  const port = Number(name.slice(colon + 1))
  if (!Number.isInteger(port) || port <= 0) return undefined
  let host = name.slice(0, colon)
  if (host === "*") host = family === 4 ? "0.0.0.0" : "::"
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
  return { host, port }
}

/**
 * The listening sockets in the output of `lsof -nP -iTCP -iUDP -FpgftPnT`: TCP sockets whose state is `LISTEN`,
 * UDP sockets with no remote address.
 *
 * @internal
 */
export const parseLsof = (text: string): Array<LsofSocket> => {
  const sockets: Array<LsofSocket> = []
  let pid = 0
  let pgid: number | undefined
  let file: { family: 4 | 6; protocol: string; name: string; state: string | undefined } | undefined
  const flush = () => {
    if (file === undefined) return
    const protocol = file.protocol.toLowerCase()
    const address = lsofAddress(file.name, file.family)
    if (address !== undefined && pid > 0) {
      if (protocol === "tcp" && file.state === "LISTEN") sockets.push({ protocol, family: file.family, ...address, pid, pgid })
      if (protocol === "udp") sockets.push({ protocol, family: file.family, ...address, pid, pgid })
    }
    file = undefined
  }
  for (const line of text.split("\n")) {
    const tag = line[0]
    const value = line.slice(1)
    if (tag === "p") {
      flush()
      pid = Number(value)
      pgid = undefined
    } else if (tag === "g") {
      pgid = Number(value)
    } else if (tag === "f") {
      flush()
      file = { family: 4, protocol: "", name: "", state: undefined }
    } else if (file !== undefined) {
      if (tag === "t") file.family = value === "IPv6" ? 6 : 4
      else if (tag === "P") file.protocol = value
      else if (tag === "n") file.name = value
      else if (tag === "T" && value.startsWith("ST=")) file.state = value.slice(3)
    }
  }
  flush()
  return sockets
}

/** Hosts that mean "this machine" to a browser on it: wildcard and loopback binds. */
const isLocalHost = (host: string): boolean =>
  host === "0.0.0.0" || host === "::" || host === "::1" || host.startsWith("127.") || host.startsWith("::ffff:127.")

/** `127.0.0.1:5173`, `[::]:3000`. @internal */
export const formatAddress = (host: string, port: number): string => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)

/** `http://localhost:5173` for a wildcard or loopback bind, `http://<host>:<port>` otherwise. @internal */
export const portUrl = (host: string, port: number): string =>
  `http://${isLocalHost(host) ? "localhost" : host.includes(":") ? `[${host}]` : host}:${port}`

/**
 * A job's ports from its listening sockets: one entry per protocol and address (processes that share a socket
 * show it once), by port then address; a URL for each TCP port.
 *
 * @internal
 */
export const jobPorts = (sockets: Iterable<ListeningSocket>): JobPorts => {
  const tcp = new Map<string, ListeningPort>()
  const udp = new Map<string, ListeningPort>()
  for (const socket of sockets) {
    const address = formatAddress(socket.host, socket.port)
    if (socket.protocol === "tcp") tcp.set(address, { address, port: socket.port, url: portUrl(socket.host, socket.port) })
    else udp.set(address, { address, port: socket.port })
  }
  const order = (a: ListeningPort, b: ListeningPort) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)
  return { tcp: Array.from(tcp.values()).sort(order), udp: Array.from(udp.values()).sort(order) }
}

/** Ports that are the same list (addresses in order). @internal */
export const samePorts = (a: JobPorts | null, b: JobPorts | null): boolean => {
  if (a === null || b === null) return a === b
  const key = (ports: JobPorts) => `${ports.tcp.map((port) => port.address).join(",")}|${ports.udp.map((port) => port.address).join(",")}`
  return key(a) === key(b)
}
