/** Listening sockets parsed from /proc/net and lsof text, and the ports shown for them. */
import { assert, describe, it } from "@effect/vitest"
import {
  formatAddress,
  formatIpv6,
  jobPorts,
  parseLsof,
  parseProcNet,
  portUrl,
  samePorts,
  socketInode
} from "../../src/internal/socketTable.js"

// Lines as Linux writes them (x86, little-endian): a listener on 127.0.0.1:36259, one on 0.0.0.0:2024, and
// connections (state 06 TIME_WAIT, 01 ESTABLISHED) that are not listeners.
const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8DA3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002365 1 00000000dcc042ff 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1062 1 00000000099f95ca 100 0 0 10 0
   2: 0100007F:B6D9 0100007F:ABFC 06 00000000:00000000 03:00000586 00000000     0        0 0 3 00000000ee91d891
   3: 0100007F:B077 0100007F:819C 01 00000000:00000000 00:00000000 00000000     0        0 1009999 1 000000001defa91f 20 4 30 10 -1
`

// [::]:3000 listening, [::1]:8080 listening, ::ffff:127.0.0.1:5173 listening, and an established connection.
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2003 1 0000000000000000 100 0 0 10 0
   3: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000  1000        0 2004 1 0000000000000000 20 4 30 10 -1
`

// UDP: one bound socket (07), one connected (01), and one with no inode (being closed).
const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 6123: 0100007F:8DBF 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1009545 2 000000003b116e2d 0
 6124: 0100007F:8DC0 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1009546 2 000000003b116e2d 0
 6125: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 000000003b116e2d 0
`

const udp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 2887: 00000000000000000000000000000000:C11B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1009544 2 000000000b0e1707 0
`

// `lsof -nP -iTCP -iUDP -FpgftPnT` for a node process: a TCP listener on all addresses, a bound UDP socket, and
// both ends of a connection; then another process's IPv4 listener on 127.0.0.1.
const lsof = `p32386
g32383
f19
tIPv6
PTCP
n*:44991
TST=LISTEN
TQR=0
TQS=0
f20
tIPv6
PUDP
n*:50867
TQR=0
TQS=0
f21
tIPv4
PTCP
n127.0.0.1:54894->127.0.0.1:44991
TST=ESTABLISHED
TQR=0
TQS=0
f22
tIPv6
PTCP
n[::1]:44991->[::1]:54894
TST=ESTABLISHED
p30329
g30243
f19
tIPv4
PTCP
n127.0.0.1:36259
TST=LISTEN
f23
tIPv6
PTCP
n[::1]:8080
TST=LISTEN
`

describe("socketTable", () => {
  it("reads TCP listeners from /proc/net/tcp and skips connections", () => {
    assert.deepStrictEqual(parseProcNet(tcp, "tcp", 4, true), [
      { protocol: "tcp", family: 4, host: "127.0.0.1", port: 36259, inode: 1002365 },
      { protocol: "tcp", family: 4, host: "0.0.0.0", port: 2024, inode: 1062 }
    ])
  })

  it("reads IPv6 listeners in their short form, IPv4-mapped ones dotted", () => {
    assert.deepStrictEqual(parseProcNet(tcp6, "tcp", 6, true), [
      { protocol: "tcp", family: 6, host: "::", port: 3000, inode: 2001 },
      { protocol: "tcp", family: 6, host: "::1", port: 8080, inode: 2002 },
      { protocol: "tcp", family: 6, host: "::ffff:127.0.0.1", port: 5173, inode: 2003 }
    ])
  })

  it("reads bound UDP sockets, not connected ones nor ones without an inode", () => {
    assert.deepStrictEqual(parseProcNet(udp, "udp", 4, true), [
      { protocol: "udp", family: 4, host: "127.0.0.1", port: 36287, inode: 1009545 }
    ])
    assert.deepStrictEqual(parseProcNet(udp6, "udp", 6, true), [{ protocol: "udp", family: 6, host: "::", port: 49435, inode: 1009544 }])
  })

  it("reads addresses in big-endian order on a big-endian machine", () => {
    const line = "   0: 7F000001:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42 1 0 100 0 0 10 0\n"
    assert.deepStrictEqual(parseProcNet(line, "tcp", 4, false), [{ protocol: "tcp", family: 4, host: "127.0.0.1", port: 3000, inode: 42 }])
  })

  it("ignores an empty or missing table and a header alone", () => {
    assert.deepStrictEqual(parseProcNet("", "tcp", 4, true), [])
    assert.deepStrictEqual(parseProcNet(tcp.split("\n")[0]!, "tcp", 4, true), [])
  })

  it("writes IPv6 addresses as RFC 5952 does", () => {
    const bytes = (hex: string) => Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16))
    assert.strictEqual(formatIpv6(bytes("20010db8000000000000000000000001")), "2001:db8::1")
    assert.strictEqual(formatIpv6(bytes("20010db8000000010000000000000001")), "2001:db8:0:1::1")
    assert.strictEqual(formatIpv6(bytes("20010db8000100010001000100010001")), "2001:db8:1:1:1:1:1:1")
    assert.strictEqual(formatIpv6(bytes("fe800000000000000000000000000000")), "fe80::")
  })

  it("names the inode of a socket descriptor, nothing for other links", () => {
    assert.strictEqual(socketInode("socket:[1002365]"), 1002365)
    assert.isUndefined(socketInode("pipe:[1002365]"))
    assert.isUndefined(socketInode("/dev/null"))
  })

  it("reads lsof's listeners with their process and group, wildcards by family, not connections", () => {
    assert.deepStrictEqual(parseLsof(lsof), [
      { protocol: "tcp", family: 6, host: "::", port: 44991, pid: 32386, pgid: 32383 },
      { protocol: "udp", family: 6, host: "::", port: 50867, pid: 32386, pgid: 32383 },
      { protocol: "tcp", family: 4, host: "127.0.0.1", port: 36259, pid: 30329, pgid: 30243 },
      { protocol: "tcp", family: 6, host: "::1", port: 8080, pid: 30329, pgid: 30243 }
    ])
    assert.deepStrictEqual(parseLsof(""), [])
  })

  it("shows addresses and URLs: localhost for wildcard and loopback binds", () => {
    assert.strictEqual(formatAddress("127.0.0.1", 5173), "127.0.0.1:5173")
    assert.strictEqual(formatAddress("::", 3000), "[::]:3000")
    assert.strictEqual(portUrl("0.0.0.0", 3000), "http://localhost:3000")
    assert.strictEqual(portUrl("::", 3000), "http://localhost:3000")
    assert.strictEqual(portUrl("::1", 3000), "http://localhost:3000")
    assert.strictEqual(portUrl("127.0.0.2", 3000), "http://localhost:3000")
    assert.strictEqual(portUrl("::ffff:127.0.0.1", 3000), "http://localhost:3000")
    assert.strictEqual(portUrl("192.168.1.5", 8080), "http://192.168.1.5:8080")
    assert.strictEqual(portUrl("fe80::1", 8080), "http://[fe80::1]:8080")
  })

  it("lists a job's ports once per address, by port, TCP and UDP apart", () => {
    const ports = jobPorts([
      { protocol: "tcp", family: 6, host: "::", port: 3000 },
      { protocol: "tcp", family: 6, host: "::", port: 3000 },
      { protocol: "tcp", family: 4, host: "127.0.0.1", port: 24678 },
      { protocol: "tcp", family: 4, host: "0.0.0.0", port: 3000 },
      { protocol: "udp", family: 4, host: "0.0.0.0", port: 5353 }
    ])
    assert.deepStrictEqual(ports, {
      tcp: [
        { address: "0.0.0.0:3000", port: 3000, url: "http://localhost:3000" },
        { address: "[::]:3000", port: 3000, url: "http://localhost:3000" },
        { address: "127.0.0.1:24678", port: 24678, url: "http://localhost:24678" }
      ],
      udp: [{ address: "0.0.0.0:5353", port: 5353 }]
    })
    // The same sockets found in another order are the same ports: no change to report.
    assert.isTrue(samePorts(ports, jobPorts([
      { protocol: "udp", family: 4, host: "0.0.0.0", port: 5353 },
      { protocol: "tcp", family: 4, host: "127.0.0.1", port: 24678 },
      { protocol: "tcp", family: 6, host: "::", port: 3000 },
      { protocol: "tcp", family: 4, host: "0.0.0.0", port: 3000 }
    ])))
    assert.isFalse(samePorts(ports, jobPorts([])))
    assert.isFalse(samePorts(null, jobPorts([])))
  })
})
