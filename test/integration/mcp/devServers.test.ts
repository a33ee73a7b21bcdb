/**
 * Dev servers through the tools, with real servers: the ports a job listens on in status and list (its
 * grandchild's included), wait until_port, execute with ready (a port, a pattern), and kill telling whether
 * the port is free again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nodeScript, shellQuote } from "../../support/agentHarness.js"
import { connectInMemory, type McpConnection } from "../../support/mcpClient.js"
import { eventually, expectEventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"
import { tempDirForTest } from "../../support/tempDir.js"

interface Port {
  readonly address: string
  readonly port: number
  readonly url?: string
}
interface Ports {
  readonly tcp: ReadonlyArray<Port>
  readonly udp: ReadonlyArray<Port>
}

/** What a result's notices say about a job. */
interface Notice {
  readonly job_id: string
  readonly status: string
  readonly exit_code: number | null
  readonly restarted?: string
  readonly ports_free?: boolean
}

const marker = uniqueMarker("ports")

/** An HTTP server on an ephemeral port of `host` (all addresses when omitted) that prints `port <n>` once it listens. */
const httpServer = (host?: string) =>
  nodeScript(
    `const s=require("http").createServer((q,r)=>r.end("ok"));s.listen(0${host === undefined ? "" : `,${JSON.stringify(host)}`},()=>console.log("port "+s.address().port));setInterval(()=>{},1000)`,
    marker
  )

/** The port a job printed (`port <n>`), once it has. */
const printedPort = async (mcp: McpConnection, jobId: string): Promise<number> => {
  let port: number | undefined
  await expectEventually("the server prints its port", async () => {
    const out = await mcp.call<{ stdout: string }>("output", { job_id: jobId })
    const match = /port (\d+)/.exec(out.stdout)
    port = match === null ? undefined : Number(match[1])
    return port !== undefined
  })
  return port!
}

const statusPorts = async (mcp: McpConnection, jobId: string) => (await mcp.call<{ ports: Ports | null }>("status", { job_id: jobId })).ports

describe("dev servers over the tools", () => {
  let mcp: McpConnection
  beforeAll(async () => {
    mcp = await connectInMemory({ killGrace: 1000 })
  })
  afterAll(async () => {
    await mcp.close()
    const gone = await eventually(() => processesWithMarker(marker).length === 0, 15_000)
    killMarked(marker)
    expect(gone).toBe(true)
  })

  it("status and list show the port a server listens on, with its address and URL, as soon as it listens", async () => {
    const { job_id } = await mcp.call<{ job_id: string }>("execute", { command: httpServer("127.0.0.1") })
    const port = await printedPort(mcp, job_id)
    const expected = { tcp: [{ address: `127.0.0.1:${port}`, port, url: `http://localhost:${port}` }], udp: [] }
    // One cached scan may predate the listen: it is at most a second old.
    await expectEventually("status shows the port", async () => JSON.stringify(await statusPorts(mcp, job_id)) === JSON.stringify(expected), 5_000)
    const { jobs } = await mcp.call<{ jobs: ReadonlyArray<{ job_id: string; ports: Ports | null }> }>("list")
    expect(jobs.find((job) => job.job_id === job_id)?.ports).toEqual(expected)
    const killed = await mcp.call<{ status: string; ports_free?: boolean }>("kill", { job_id })
    expect(killed).toMatchObject({ status: "killed", ports_free: true })
  })

  it("finds the port of the shell's grandchild, on all addresses, and a UDP port apart", async () => {
    const udp = nodeScript(
      `const d=require("dgram").createSocket("udp4");d.bind(0,"127.0.0.1",()=>console.log("udp "+d.address().port))`,
      marker
    )
    // The job's shell runs sh, which runs node: dash does not exec the last command, so node is a grandchild.
    const command = `sh -c ${shellQuote(`${httpServer()} & ${udp} & wait`)}`
    const { job_id } = await mcp.call<{ job_id: string }>("execute", { command })
    const port = await printedPort(mcp, job_id)
    let udpPort = 0
    await expectEventually("the UDP socket is bound", async () => {
      const match = /udp (\d+)/.exec((await mcp.call<{ stdout: string }>("output", { job_id })).stdout)
      udpPort = match === null ? 0 : Number(match[1])
      return udpPort > 0
    })
    await expectEventually("status shows both", async () => {
      const ports = await statusPorts(mcp, job_id)
      return ports !== null && ports.tcp.length === 1 && ports.udp.length === 1
    }, 5_000)
    expect(await statusPorts(mcp, job_id)).toEqual({
      tcp: [{ address: `[::]:${port}`, port, url: `http://localhost:${port}` }],
      udp: [{ address: `127.0.0.1:${udpPort}`, port: udpPort }]
    })
    expect(await mcp.call("kill", { job_id })).toMatchObject({ status: "killed", ports_free: true })
  })

  it("wait until_port returns once the job listens, with its ports", async () => {
    // The server listens after a second: the wait must see it happen, not find it there.
    const late = nodeScript(
      `setTimeout(()=>{const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>console.log("port "+s.address().port))},1000);setInterval(()=>{},1000)`,
      marker
    )
    const { job_id } = await mcp.call<{ job_id: string }>("execute", { command: late })
    const started = Date.now()
    const result = await mcp.call<{ reason: string; ports: Ports; stdout: string }>("wait", { job_id, until_port: true, timeout_s: 20 })
    expect(result.reason).toBe("listening")
    expect(result.ports.tcp).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(10_000)
    // A port it does not listen on is not waited for in vain past the bound.
    const other = await mcp.call<{ reason: string }>("wait", { job_id, until_port: 1, timeout_s: 0.3 })
    expect(other.reason).toBe("timeout")
    const port = result.ports.tcp[0]!.port
    expect((await mcp.call<{ reason: string }>("wait", { job_id, until_port: port, timeout_s: 5 })).reason).toBe("listening")
    await mcp.call("kill", { job_id })
  })

  it("execute with ready {port: any} returns once the server listens, with its ports and output", async () => {
    const result = await mcp.call<{ job_id: string; status: string; reason: string; ports: Ports; stdout: string }>("execute", {
      command: `sleep 0.5; ${httpServer("127.0.0.1")}`,
      ready: { port: "any" }
    })
    expect(result.status).toBe("running")
    expect(result.reason).toBe("listening")
    expect(result.ports.tcp).toHaveLength(1)
    const port = result.ports.tcp[0]!.port
    const body = await (await fetch(result.ports.tcp[0]!.url!)).text()
    expect(body).toBe("ok")
    expect(result.ports.tcp[0]!.address).toBe(`127.0.0.1:${port}`)
    expect((await mcp.call<{ ready: string }>("status", { job_id: result.job_id })).ready).toBe("any port")
    await mcp.call("kill", { job_id: result.job_id })
  })

  it("execute with a ready pattern returns on the matching line; a job that ends first returns exited", async () => {
    const ready = await mcp.call<{ job_id: string; reason: string; matched_line: string; stdout: string; ports: Ports }>("execute", {
      command: httpServer(),
      ready: "^port \\d+$"
    })
    expect(ready.reason).toBe("matched")
    expect(ready.matched_line).toMatch(/^port \d+$/)
    expect(ready.stdout).toContain(ready.matched_line)
    await mcp.call("kill", { job_id: ready.job_id })

    const crashed = await mcp.call<{ status: string; reason: string; exit_code: number; stderr: string }>("execute", {
      command: "echo boom >&2; exit 2",
      ready: { port: 3000 }
    })
    expect(crashed).toMatchObject({ status: "failed", reason: "exited", exit_code: 2, stderr: "boom\n" })

    const slow = await mcp.call<{ status: string; reason: string }>("execute", { command: `${nodeScript("setInterval(()=>{},1000)", marker)}`, ready: "never", wait_ms: 300 })
    expect(slow).toMatchObject({ status: "running", reason: "timeout" })
  })

  it("restart keeps ready and waits for it again", async () => {
    const first = await mcp.call<{ job_id: string; ports: Ports }>("execute", { command: httpServer("127.0.0.1"), ready: { port: "any" } })
    const again = await mcp.call<{ job_id: string; reason: string; ports: Ports }>("restart", { job_id: first.job_id })
    expect(again.job_id).not.toBe(first.job_id)
    expect(again.reason).toBe("listening")
    expect(again.ports.tcp).toHaveLength(1)
    await mcp.call("kill", { job_id: again.job_id })
  })

  it("on-failure brings back a server that exits 1 twice, under the same id, with a line per restart", async () => {
    const dir = tempDirForTest("restarts-")
    // Counts its runs in a file: the first two crash, the third serves.
    const command = `n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; ` +
      `if [ $n -le 2 ]; then echo "crash $n" >&2; exit 1; fi; exec ${httpServer("127.0.0.1")}`
    const started = await mcp.call<{ job_id: string; reason: string; ports: Ports; stderr: string }>("execute", {
      command,
      cwd: dir,
      restart: "on-failure",
      ready: { port: "any" }
    })
    expect(started.reason).toBe("listening")
    expect(started.ports.tcp).toHaveLength(1)
    expect(started.stderr).toBe(
      "crash 1\n[mcp-background-job] restarted after exit code 1 (1 of 5)\ncrash 2\n[mcp-background-job] restarted after exit code 1 (2 of 5)\n"
    )
    const status = await mcp.call<{ job_id: string; status: string; restarts: number; restart_policy: string; runs: ReadonlyArray<{ exit_code: number; started: string; ended: string }> }>(
      "status",
      { job_id: started.job_id }
    )
    expect(status).toMatchObject({ job_id: started.job_id, status: "running", restarts: 2, restart_policy: "on-failure" })
    expect(status.runs.map((run) => run.exit_code)).toEqual([1, 1])
    // The back-off: 1 s before the second run (the virtual-clock tests time each one).
    expect(Date.parse(status.runs[1]!.started) - Date.parse(status.runs[0]!.ended)).toBeGreaterThanOrEqual(1000)
    const killed = await mcp.call("kill", { job_id: started.job_id })
    expect(killed).toMatchObject({ status: "killed", ports_free: true })
    const after = await mcp.call<{ status: string; restarts: number }>("status", { job_id: started.job_id })
    expect(after.restarts).toBe(2)
    // Each restart is a notice, and so is the end, saying the port is free again.
    const notices: Array<Notice> = [started, status, killed, after].flatMap((result) => (result as { notices?: Array<Notice> }).notices ?? [])
    await expectEventually("the killed notice", async () => {
      notices.push(...((await mcp.call<{ notices?: Array<Notice> }>("list")).notices ?? []))
      return notices.some((notice) => notice.job_id === started.job_id && notice.status === "killed")
    })
    const mine = notices.filter((notice) => notice.job_id === started.job_id)
    expect(mine.map((notice) => [notice.status, notice.exit_code, notice.restarted ?? null, notice.ports_free ?? null])).toEqual([
      ["running", 1, "1 of 5", null],
      ["running", 1, "2 of 5", null],
      ["killed", null, null, true]
    ])
  })

  it("a job that keeps failing ends failed with its exit code once max_restarts are used up", async () => {
    const result = await mcp.call<{ status: string; exit_code: number; reason: string; stderr: string }>("execute", {
      command: "echo down >&2; exit 4",
      restart: "always",
      max_restarts: 1,
      wait_ms: 20_000
    })
    expect(result).toMatchObject({ status: "failed", exit_code: 4, reason: "exited" })
    expect(result.stderr).toBe("down\n[mcp-background-job] restarted after exit code 4 (1 of 1)\ndown\n")
  })

  it("refuses a ready port out of range and an until_port that is not a port", async () => {
    expect(await mcp.callError("execute", { command: "true", ready: { port: 70000 } })).toMatch(/port/)
    expect(await mcp.callError("wait", { job_id: "x", until_port: 0 })).toMatch(/until_port/)
  })
})
