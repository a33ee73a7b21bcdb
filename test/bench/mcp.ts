/**
 * The server as an agent sees it: the built bin driven through the SDK client over stdio, each figure beside
 * raw Node doing the same work in the same run (issue 16's table).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { openSimulatedPage } from "./dashboardPage.js"
import { spawnIntoRing, spawnToSpawnEvent } from "./baseline.js"
import { binPath, rawServerPath, rssOf, startRawConnection, startServer } from "./server.js"
import { median, mib, percentile, range, type Row } from "./stats.js"

export interface Options {
  readonly quick: boolean
  readonly rows: Array<Row>
  readonly log: (message: string) => void
}

const timed = async <A>(run: () => Promise<A>): Promise<[number, A]> => {
  const start = performance.now()
  const result = await run()
  return [performance.now() - start, result]
}

/**
 * `execute {"command": "true"}` back to back, each call paying for whatever the previous job's end costs,
 * against spawning `/bin/sh -c true` to its `spawn` event plus one protocol round trip to a minimal SDK server.
 */
export const backToBack = async ({ log, quick, rows }: Options) => {
  const blocks = quick ? 3 : 6
  const perBlock = 10
  const ours = await startServer({ MCP_BG_CLEANUP_INTERVAL: "5" })
  const raw = await startServer({}, [rawServerPath, "--list"])
  for (let i = 0; i < 5; i++) {
    await ours.call("execute", { command: "true" })
    await raw.call("list", {})
    await spawnToSpawnEvent("true")
  }
  const oursMs: Array<number> = []
  const baseMs: Array<number> = []
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < perBlock; i++) oursMs.push((await timed(() => ours.call("execute", { command: "true" })))[0])
    for (let i = 0; i < perBlock; i++) {
      const spawned = await spawnToSpawnEvent("true")
      const [listMs] = await timed(() => raw.call("list", {}))
      baseMs.push(spawned + listMs)
    }
  }
  await ours.close()
  await raw.close()
  const ratio = median(oursMs) / median(baseMs)
  rows.push({
    section: "mcp",
    metric: `execute true, ${oursMs.length} back to back, median [p10-p90]`,
    unit: "ms",
    ours: median(oursMs),
    spread: range(oursMs),
    baseline: median(baseMs),
    baselineSpread: range(baseMs),
    ratio,
    goal: "<= 1.5x",
    met: ratio <= 1.5
  })
  log(`back to back: ours ${median(oursMs).toFixed(1)} ms, baseline ${median(baseMs).toFixed(1)} ms`)
}

/**
 * A 20 MiB job from `execute` to `wait` answering `exited`, against spawning it and draining its pipes to
 * `close`; the ratio is throughput (baseline time over ours). `wait` asks for 32 KiB of text at most, so the
 * figure is the capture and the job's end, not the rendering of its output.
 */
export const exitedThroughput = async ({ log, quick, rows }: Options) => {
  const runs = quick ? 5 : 9
  const command = "head -c 20971520 /dev/zero"
  const server = await startServer({})
  const once = async () => {
    const [ms, result] = await timed(async () => {
      const job = await server.call("execute", { command, stdin: "null" })
      return server.call("wait", { job_id: job["job_id"], timeout_s: 60, max_bytes: 32768 })
    })
    if (result["status"] !== "completed") throw new Error(`the 20 MiB job ended ${String(result["status"])}`)
    return ms
  }
  await once()
  await spawnIntoRing(command, 10 * mib)
  const oursMs: Array<number> = []
  const baseMs: Array<number> = []
  for (let i = 0; i < runs; i++) {
    oursMs.push(await once())
    baseMs.push((await spawnIntoRing(command, 10 * mib)).ms)
  }
  await server.close()
  const ratio = median(baseMs) / median(oursMs)
  rows.push({
    section: "mcp",
    metric: `20 MiB job, execute -> wait exited, median of ${runs} (ratio: throughput)`,
    unit: "ms",
    ours: median(oursMs),
    spread: range(oursMs),
    baseline: median(baseMs),
    baselineSpread: range(baseMs),
    ratio,
    goal: ">= 0.8x",
    met: ratio >= 0.8
  })
  log(`20 MiB to exited: ours ${median(oursMs).toFixed(0)} ms, baseline ${median(baseMs).toFixed(0)} ms`)
}

const initializeLine = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } }
}) + "\n"

/** Spawns a Node script and times it to its first line on stdout (the answer to `initialize`). */
const timeToInitialize = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  new Promise<number>((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [...args], { stdio: ["pipe", "pipe", "ignore"], env })
    child.on("error", reject)
    child.stdout.once("data", () => {
      resolve(performance.now() - start)
      child.stdin.end()
    })
    child.stdin.write(initializeLine)
  })

/** Node started to the answer to `initialize`: our bin against a minimal SDK server (no tools). */
export const coldStart = async ({ log, quick, rows }: Options) => {
  const runs = quick ? 7 : 15
  const env = { ...process.env, MCP_BG_LOG_LEVEL: "warning" }
  await timeToInitialize([binPath], env)
  await timeToInitialize([rawServerPath])
  const ours: Array<number> = []
  const base: Array<number> = []
  const bare: Array<number> = []
  for (let i = 0; i < runs; i++) {
    ours.push(await timeToInitialize([binPath], env))
    base.push(await timeToInitialize([rawServerPath]))
    const [ms] = await timed(() => new Promise((resolve) => spawn(process.execPath, ["-e", ""], { stdio: "ignore" }).on("exit", resolve)))
    bare.push(ms)
  }
  const ratio = median(ours) / median(base)
  rows.push({
    section: "mcp",
    metric: `cold start to the initialize answer, median of ${runs}`,
    unit: "ms",
    ours: median(ours),
    spread: range(ours),
    baseline: median(base),
    baselineSpread: range(base),
    ratio,
    goal: "<= 1.2x",
    met: ratio <= 1.2
  })
  rows.push({ section: "mcp", metric: "  (bare node -e \"\" to its exit)", unit: "ms", ours: median(bare), spread: range(bare) })
  log(`cold start: ours ${median(ours).toFixed(0)} ms, minimal SDK server ${median(base).toFixed(0)} ms`)
}

/** `list` round trips while 50 jobs write as fast as they can. */
/**
 * `list` latencies while 50 jobs flood, without or with a dashboard page open (a simulated page: the SSE feed
 * connected and watching a flooding job, fetching output pages and the list as the page does).
 */
const floodLatencies = async (withPage: boolean, calls: number) => {
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-bench-"))
  const server = await startServer({ MCP_BG_MAX_JOBS: "60", ...(withPage ? { MCP_BG_DASHBOARD: "1", XDG_RUNTIME_DIR: runtimeDir } : {}) })
  const ids: Array<string> = []
  for (let i = 0; i < 50; i++) ids.push(String((await server.call("execute", { command: "yes flooding output line" }))["job_id"]))
  const page = withPage ? await openSimulatedPage(path.join(runtimeDir, "mcp-background-job", `dashboard-${server.pid}.json`), ids[0]!) : undefined
  await new Promise((resolve) => setTimeout(resolve, 500))
  const latencies: Array<number> = []
  for (let i = 0; i < calls; i++) latencies.push((await timed(() => server.call("list", {})))[0])
  const fetched = page?.stop()
  for (const id of ids) await server.call("kill", { job_id: id })
  await server.close()
  fs.rmSync(runtimeDir, { recursive: true, force: true })
  return { latencies, fetched }
}

export const responsiveness = async ({ log, quick, rows }: Options) => {
  // Rounds alternate without and with the page, so that a busy moment of the machine does not fall on one side.
  const rounds = quick ? 1 : 3
  const calls = quick ? 100 : 300
  const without: Array<number> = []
  const withPage: Array<number> = []
  const p99s = { without: [] as Array<number>, withPage: [] as Array<number> }
  let pages = 0
  for (let round = 0; round < rounds; round++) {
    const plain = await floodLatencies(false, calls)
    const open = await floodLatencies(true, calls)
    without.push(...plain.latencies)
    withPage.push(...open.latencies)
    p99s.without.push(percentile(plain.latencies, 99))
    p99s.withPage.push(percentile(open.latencies, 99))
    pages += open.fetched?.pages ?? 0
  }
  const p99 = median(p99s.without)
  const p99Page = median(p99s.withPage)
  rows.push({ section: "mcp", metric: "list during 50 floods p50", unit: "ms", ours: percentile(without, 50) })
  rows.push({ section: "mcp", metric: "list during 50 floods p99", unit: "ms", ours: p99, goal: "< 50 ms", met: p99 < 50 })
  rows.push({
    section: "mcp",
    metric: "list during 50 floods p99, dashboard open",
    unit: "ms",
    ours: p99Page,
    baseline: p99,
    ratio: p99Page / p99,
    goal: "<= 1.1x without",
    met: p99Page <= p99 * 1.1
  })
  log(`list during 50 floods: p99 ${p99.toFixed(1)} ms without the page, ${p99Page.toFixed(1)} ms with it (median of ${rounds} rounds; the page read ${pages} output pages)`)
}

/** Plain Node reading a 1 GiB flood into a ring of `cap` bytes, in a process of its own: its RSS at rest and at the peak. */
const baselineFloodRss = (cap: number) =>
  new Promise<{ idle: number; peak: number }>((resolve, reject) => {
    const script = `const { spawn } = require("node:child_process");const rss = () => process.memoryUsage().rss;` +
      `const idle = rss(); let peak = idle; const cap = ${cap}; const ring = new Uint8Array(cap); let at = 0;` +
      `const t = setInterval(() => { peak = Math.max(peak, rss()) }, 10);` +
      `const c = spawn("/bin/sh", ["-c", "head -c 1G /dev/zero"]);` +
      `c.stdout.on("data", (d) => { const k = Math.min(d.length, cap - at); ring.set(d.subarray(0, k), at); at = (at + k) % cap });` +
      `c.on("close", () => { clearInterval(t); console.log(JSON.stringify({ idle, peak: Math.max(peak, rss()) })) })`
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.on("error", reject)
    child.on("close", () => resolve(JSON.parse(out) as { idle: number; peak: number }))
  })

/** Peak RSS growth of the server while one job floods 1 GiB into a 10 MiB ring. */
const floodRss = async (cap: number) => {
  const server = await startServer({ MCP_BG_MAX_OUTPUT_SIZE: String(cap) })
  await server.call("list", {})
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = rssOf(server.pid)
  const flood = await server.call("execute", { command: "head -c 1G /dev/zero" })
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid))), 10)
  await server.call("wait", { job_id: flood["job_id"], timeout_s: 600, max_bytes: 1 })
  clearInterval(sampler)
  peak = Math.max(peak, rssOf(server.pid))
  await server.close()
  return peak - before
}

/** Memory of the server process: idle, with 100 idle jobs, and RSS growth during floods. */
export const memory = async ({ log, quick, rows }: Options) => {
  const cap = 10 * mib
  const server = await startServer({ MCP_BG_MAX_JOBS: "200", MCP_BG_MAX_OUTPUT_SIZE: String(cap) })
  await server.call("list", {})
  await new Promise((resolve) => setTimeout(resolve, 500))
  const idle = rssOf(server.pid)
  const ids: Array<string> = []
  for (let i = 0; i < 100; i++) ids.push(String((await server.call("execute", { command: "sleep 600" }))["job_id"]))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const withJobs = rssOf(server.pid)
  for (const id of ids) await server.call("kill", { job_id: id })
  await server.close()

  const runs = quick ? 2 : 3
  const ours: Array<number> = []
  const base: Array<number> = []
  for (let i = 0; i < runs; i++) {
    ours.push(await floodRss(cap) / mib)
    const b = await baselineFloodRss(cap)
    base.push((b.peak - b.idle) / mib)
  }
  rows.push({ section: "memory", metric: "server RSS idle", unit: "MiB", ours: idle / mib })
  rows.push({ section: "memory", metric: "server RSS with 100 idle jobs", unit: "MiB", ours: withJobs / mib })
  rows.push({
    section: "memory",
    metric: `RSS growth during a 1 GiB flood, 10 MiB cap, median of ${runs}`,
    unit: "MiB",
    ours: median(ours),
    spread: range(ours),
    baseline: median(base),
    baselineSpread: range(base),
    ratio: median(ours) / median(base),
    goal: "<= +30 MiB",
    met: median(ours) <= 30
  })
  log(`flood RSS growth: ours ${median(ours).toFixed(0)} MiB, plain Node ${median(base).toFixed(0)} MiB`)
}

/**
 * What reading a finished 8 MB job costs: `output` from the start and `wait` on it, time per call and the size of
 * the answer. Spoken in raw JSON lines: the SDK client drops a message over 10 MiB, and the connection with it.
 */
export const resultBudget = async ({ log, quick, rows }: Options) => {
  const runs = quick ? 5 : 11
  const server = await startRawConnection({})
  const job = (await server.call("execute", { command: "seq 1 1200000", stdin: "null" })).result
  const id = job["job_id"]
  await server.call("wait", { job_id: id, timeout_s: 60, max_bytes: 1 })
  const status = (await server.call("status", { job_id: id })).result
  const measure = async (name: string, args: Record<string, unknown>) => {
    const times: Array<number> = []
    let bytes = 0
    for (let i = 0; i < runs + 1; i++) {
      const [ms, answer] = await timed(() => server.call(name, args))
      if (i > 0) times.push(ms)
      bytes = answer.bytes
    }
    return { ms: median(times), spread: range(times), bytes }
  }
  const output = await measure("output", { job_id: id })
  const wait = await measure("wait", { job_id: id, cursor: job["cursor"], timeout_s: 1 })
  await server.close()
  const size = `${(Number(status["stdout_bytes"]) / 1e6).toFixed(1)} MB job`
  rows.push({ section: "result budget", metric: `output from the start, ${size}`, unit: "ms", ours: output.ms, spread: output.spread })
  rows.push({ section: "result budget", metric: "  its answer's size", unit: "KiB", ours: output.bytes / 1024 })
  rows.push({ section: "result budget", metric: `wait from the start cursor, ${size}`, unit: "ms", ours: wait.ms, spread: wait.spread })
  rows.push({ section: "result budget", metric: "  its answer's size", unit: "KiB", ours: wait.bytes / 1024 })
  log(`result budget: output ${output.ms.toFixed(0)} ms (${(output.bytes / 1024).toFixed(0)} KiB), wait ${wait.ms.toFixed(0)} ms (${(wait.bytes / 1024).toFixed(0)} KiB)`)
}
