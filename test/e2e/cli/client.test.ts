import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type HttpBin, spawnBin, startHttpBin } from "../../support/bin.js"
import { eventually } from "../../support/polling.js"
import { killMarked, processesWithMarker, uniqueMarker } from "../../support/processes.js"

const TOKEN = "cli-test-token-0123456789"
const marker = uniqueMarker("cli")
let server: HttpBin
let dir: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-cli-"))
  server = await startHttpBin(["--http", "--port", "0", "--kill-grace", "1"], { MCP_BG_HTTP_TOKEN: TOKEN })
}, 60_000)

afterAll(async () => {
  await server?.stop()
  killMarked(marker)
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Starts the CLI with the server's URL and token in the environment (unless `env` overrides them). */
const startCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnBin(args, { MCP_BG_URL: server.url, MCP_BG_TOKEN: TOKEN, ...env })

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => startCli(args, env).closed

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const runJob = async (command: string): Promise<string> => {
  const result = await cli(["run", command])
  expect(result.code, result.stderr).toBe(0)
  const id = result.stdout.trim()
  expect(id).toMatch(UUID)
  return id
}

describe("the command-line client", () => {
  it("run prints the new job's id; ls lists it in a table, --json for scripts", async () => {
    const id = await runJob(`echo listed ${marker}`)
    const table = await cli(["ls"])
    expect(table.code).toBe(0)
    const lines = table.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+EXIT\s+STARTED\s+DURATION\s+PORTS\s+COMMAND$/)
    expect(lines.some((l) => l.startsWith(id.slice(0, 8)) && l.includes(`echo listed ${marker}`))).toBe(true)

    const json = await cli(["ls", "--json"])
    const parsed = JSON.parse(json.stdout) as { jobs: Array<{ job_id: string; command: string }> }
    expect(parsed.jobs.find((j) => j.job_id === id)?.command).toBe(`echo listed ${marker}`)
  }, 60_000)

  it("run --ready :any --restart on-failure waits for the server, prints its URL; ls shows its port", async () => {
    const server = `${JSON.stringify(process.execPath)} -e 'const s=require("http").createServer();s.listen(0,"127.0.0.1");setInterval(()=>{},1000)' # ${marker}`
    const result = await cli(["run", "--ready", ":any", "--restart", "on-failure", "--", server])
    expect(result.code, result.stderr).toBe(0)
    const id = result.stdout.trim()
    expect(id).toMatch(UUID)
    const url = /^ready: (http:\/\/localhost:(\d+))$/m.exec(result.stderr)
    expect(url, result.stderr).not.toBeNull()
    const row = (await cli(["ls"])).stdout.split("\n").find((l) => l.startsWith(id.slice(0, 8)))
    expect(row).toMatch(new RegExp(`\\s${url![2]}\\s`))
    const status = await cli(["status", id.slice(0, 8)])
    expect(status.stdout).toContain(`ports      ${url![1]}`)
    expect(status.stdout).toMatch(/restarts\s+0 \(on-failure/)
    expect((await cli(["kill", id])).code).toBe(0)

    const notReady = await cli(["run", "--ready", ":3000", "--", "exit 3"])
    expect(notReady.code).toBe(3)
    expect(notReady.stderr).toContain("not ready: the job ended (failed, exit code 3)")
    const badMode = await cli(["run", "--restart", "sometimes", "--", "true"])
    expect(badMode.code).toBe(2)
  }, 60_000)

  it("logs -f follows a job live: every line exactly once, in order, until the job ends", async () => {
    const go = path.join(dir, "go")
    // The job holds its two seconds of output until the follower is attached, so the test sees live output.
    const id = await runJob(
      `echo line-0; while [ ! -e ${go} ]; do sleep 0.05; done; ` +
        `for i in $(seq 1 20); do echo line-$i; echo err-$i >&2; sleep 0.1; done # ${marker}`
    )
    const follower = startCli(["logs", "-f", id.slice(0, 8)])
    expect(await eventually(() => follower.stdout().includes("line-0\n"), 30_000)).toBe(true)
    fs.writeFileSync(go, "")
    const result = await follower.closed
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(Array.from({ length: 21 }, (_, i) => `line-${i}\n`).join(""))
    expect(result.stderr).toBe(Array.from({ length: 20 }, (_, i) => `err-${i + 1}\n`).join(""))

    const stderrOnly = await cli(["logs", "--stderr", id])
    expect(stderrOnly.stdout).toBe(Array.from({ length: 20 }, (_, i) => `err-${i + 1}\n`).join(""))
    const tail = await cli(["tail", "-n", "2", "--stdout", id])
    expect(tail.stdout).toBe("line-19\nline-20\n")
  }, 90_000)

  it("Ctrl-C stops following with exit code 130 and leaves the job running", async () => {
    const ticker = `${marker}-ticker`
    const id = await runJob(`while true; do echo tick; sleep 0.2; done # ${ticker}`)
    const follower = startCli(["logs", "-f", id])
    expect(await eventually(() => follower.stdout().includes("tick\n"), 30_000)).toBe(true)
    follower.child.kill("SIGINT")
    expect((await follower.closed).code).toBe(130)
    expect(processesWithMarker(ticker).length).toBeGreaterThan(0)
  }, 90_000)

  it("wait exits with the job's exit code, 0 when --until matches, 124 on --timeout", async () => {
    const failing = await runJob(`sleep 1; echo almost; exit 7 # ${marker}`)
    const waited = await cli(["wait", failing])
    expect(waited.code).toBe(7)
    expect(waited.stdout).toMatch(/failed \(exit code 7\)/)

    const server = await runJob(`echo booting; sleep 1; echo ready on port 1234; sleep 60 # ${marker}`)
    const matched = await cli(["wait", "--until", "ready on port \\d+", "--timeout", "30", server])
    expect(matched.code).toBe(0)
    expect(matched.stdout).toBe("matched: ready on port 1234\n")
    // Output printed before the call counts too.
    const again = await cli(["wait", "--until", "^booting$", server])
    expect(again.code).toBe(0)

    const timedOut = await cli(["wait", "--timeout", "1", server])
    expect(timedOut.code).toBe(124)
    expect(timedOut.stderr).toMatch(/timed out after 1s/)
  }, 90_000)

  it("kill stops a job and everything it started; status and a second kill say so", async () => {
    const id = await runJob(`node -e 'setInterval(() => {}, 1000)' ${marker}-kill & node -e 'setInterval(() => {}, 1000)' ${marker}-kill; wait`)
    const nodes = () => processesWithMarker(`${marker}-kill`).filter((p) => p.cmdline.startsWith("node "))
    expect(await eventually(() => nodes().length === 2, 20_000)).toBe(true)
    const killed = await cli(["kill", id.slice(0, 6)])
    expect(killed.code).toBe(0)
    expect(killed.stdout).toBe(`killed job ${id}\n`)
    expect(await eventually(() => processesWithMarker(`${marker}-kill`).length === 0, 15_000)).toBe(true)

    const status = await cli(["status", id])
    expect(status.stdout).toMatch(new RegExp(`^job\\s+${id}$`, "m"))
    expect(status.stdout).toMatch(/^status\s+killed$/m)
    const again = await cli(["kill", id])
    expect(again.code).toBe(0)
    expect(again.stdout).toBe(`job ${id} had already ended\n`)
  }, 90_000)

  it("send writes to a job's stdin and prints the reply", async () => {
    const reader = `${marker}-reader`
    const id = await runJob(`while read line; do echo "got $line"; done # ${reader}`)
    const reply = await cli(["send", id, "hello", "there"])
    expect(reply.code, reply.stderr).toBe(0)
    expect(reply.stdout).toBe("got hello there\n")
    expect((await cli(["send", "--eof", id, "bye"])).stdout).toBe("got bye\n")
    // End-of-file ends the loop, and with it the job.
    expect(await eventually(() => processesWithMarker(reader).length === 0, 20_000)).toBe(true)
  }, 90_000)

  it("says clearly when the server cannot be reached (exit 3), the token is wrong (exit 4) or the job is unknown (exit 1)", async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as net.AddressInfo).port
        probe.close(() => resolve(port))
      })
    })
    const unreachable = await cli(["ls"], { MCP_BG_URL: `http://127.0.0.1:${closed}/mcp` })
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toMatch(/cannot reach the server at http:\/\/127\.0\.0\.1:\d+\/mcp .*is it running\?/)

    const wrongToken = await cli(["ls", "--token", "wrong-token"])
    expect(wrongToken.code).toBe(4)
    expect(wrongToken.stderr).toMatch(/refused the token from --token \(401 Unauthorized\)/)

    const unknown = await cli(["status", "00000000-0000-4000-8000-000000000000"])
    expect(unknown.code).toBe(1)
    // (Usage errors, exit 2, are covered without a server in args.test.ts and bin.test.ts.)
    expect(unknown.stderr).toMatch(/Job 00000000-0000-4000-8000-000000000000 not found/)
  }, 90_000)
})
