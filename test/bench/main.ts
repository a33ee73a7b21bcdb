/**
 * `npm run bench`: our runtime against plain Node `child_process` on the same machine, in the same run.
 * Prints a table of figures and ratios; `--json` prints the results as JSON as well.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as os from "node:os"
import { JobConfig, type JobConfigInput, JobManager } from "mcp-background-job"
import { spawnIntoRing, spawnLatency, spawnToExit } from "./baseline.js"
import * as mcp from "./mcp.js"
import { startServer } from "./server.js"
import { median, mib, percentile, printTable, range, type Row } from "./stats.js"

const quick = process.argv.includes("--quick")
const rows: Array<Row> = []
const log = (message: string) => process.stderr.write(`${message}\n`)

/** The library with real processes, logging off (the bench measures the runtime, not the console). */
const library = (config: JobConfigInput = {}) =>
  ManagedRuntime.make(Layer.merge(JobManager.layerNode(JobConfig.make(config)), Logger.minimumLogLevel(LogLevel.None)))

type Runtime = ReturnType<typeof library>
const run = <A, E>(runtime: Runtime, effect: Effect.Effect<A, E, JobManager>) => runtime.runPromise(effect)

/** Starts a job and waits for it to end. */
const executeToEnd = (command: string) =>
  Effect.gen(function*() {
    const jobs = yield* JobManager
    const job = yield* jobs.execute({ command, stdin: "null" })
    return yield* jobs.wait(job.id, { timeout: "600 seconds", maxBytes: 1 })
  })

// 1. Output capture throughput.
const throughput = async () => {
  const size = quick ? 100 : 500
  const cap = 10 * mib
  for (const [label, command] of [
    ["head -c /dev/zero", `head -c ${size}M /dev/zero`],
    ["yes | head -c", `yes | head -c ${size}M`]
  ] as const) {
    const runtime = library({ maxOutputSize: cap })
    const ours: Array<number> = []
    const base: Array<number> = []
    await run(runtime, executeToEnd(command.replace(`${size}M`, "50M"))) // warm-up
    await spawnIntoRing(command.replace(`${size}M`, "50M"), cap)
    for (let i = 0; i < (quick ? 3 : 5); i++) {
      const b = await spawnIntoRing(command, cap)
      base.push(b.bytes / mib / (b.ms / 1000))
      const start = performance.now()
      const result = await run(runtime, executeToEnd(command))
      const ms = performance.now() - start
      if (result.status !== "completed") throw new Error(`throughput job ended ${result.status}`)
      ours.push((size * mib) / mib / (ms / 1000))
    }
    await runtime.dispose()
    const ratio = median(ours) / median(base)
    const goal = label === "head -c /dev/zero" ? 0.9 : 0.8
    rows.push({ section: "throughput", metric: `capture, ${size} MiB ${label}, library`, unit: "MB/s", ours: median(ours), spread: range(ours), baseline: median(base), baselineSpread: range(base), ratio, goal: `>= ${goal}x`, met: ratio >= goal })
    log(`throughput ${label}: ours ${median(ours).toFixed(0)} MB/s, baseline ${median(base).toFixed(0)} MB/s`)
  }
}

// 2. Start latency, library and MCP, against spawn -> 'spawn' event / first byte.
const latency = async () => {
  const count = quick ? 50 : 200
  const command = "echo x"
  const runtime = library({ maxJobs: 20, cleanupInterval: 1 })
  const toId: Array<number> = []
  const toByte: Array<number> = []
  for (let i = 0; i < count + 10; i++) {
    const start = performance.now()
    await run(runtime, Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command })
      const idAt = performance.now()
      yield* jobs.wait(job.id, { until: /./, fromStart: true, timeout: "10 seconds" })
      if (i >= 10) {
        toId.push(idAt - start)
        toByte.push(performance.now() - start)
      }
    }))
  }
  await runtime.dispose()
  const spawned: Array<number> = []
  const firstByte: Array<number> = []
  for (let i = 0; i < count + 10; i++) {
    const b = await spawnLatency(command)
    if (i >= 10) {
      spawned.push(b.spawnMs)
      firstByte.push(b.firstByteMs)
    }
  }
  const server = await startServer({ MCP_BG_MAX_JOBS: "20", MCP_BG_CLEANUP_INTERVAL: "1" })
  const mcpId: Array<number> = []
  const mcpByte: Array<number> = []
  for (let i = 0; i < count + 10; i++) {
    const start = performance.now()
    const job = await server.call("execute", { command })
    const idAt = performance.now()
    const id = String(job["job_id"])
    await server.call("wait", { job_id: id, until: ".", cursor: `${id.slice(0, 8)}:0:0`, timeout_s: 10, max_bytes: 1 })
    if (i >= 10) {
      mcpId.push(idAt - start)
      mcpByte.push(performance.now() - start)
    }
  }
  await server.close()
  for (const p of [50, 99]) {
    rows.push({ section: "start latency", metric: `library execute -> id p${p}`, unit: "ms", ours: percentile(toId, p), baseline: percentile(spawned, p), ratio: percentile(toId, p) / percentile(spawned, p) })
    rows.push({ section: "start latency", metric: `library execute -> first byte p${p}`, unit: "ms", ours: percentile(toByte, p), baseline: percentile(firstByte, p), ratio: percentile(toByte, p) / percentile(firstByte, p) })
    rows.push({ section: "start latency", metric: `MCP tools/call execute -> id p${p}`, unit: "ms", ours: percentile(mcpId, p), baseline: percentile(spawned, p), ratio: percentile(mcpId, p) / percentile(spawned, p) })
    rows.push({ section: "start latency", metric: `MCP execute -> first byte p${p}`, unit: "ms", ours: percentile(mcpByte, p), baseline: percentile(firstByte, p), ratio: percentile(mcpByte, p) / percentile(firstByte, p) })
  }
  log("start latency done")
}

// 3. Short-job throughput: sequential `true` jobs.
const shortJobs = async () => {
  const count = quick ? 200 : 1000
  const base = performance.now()
  for (let i = 0; i < count; i++) await spawnToExit("true")
  const baseRate = count / ((performance.now() - base) / 1000)
  const runtime = library({ cleanupInterval: 5 })
  await run(runtime, executeToEnd("true"))
  const start = performance.now()
  for (let i = 0; i < count; i++) await run(runtime, executeToEnd("true"))
  const ourRate = count / ((performance.now() - start) / 1000)
  await runtime.dispose()
  const server = await startServer({ MCP_BG_CLEANUP_INTERVAL: "5" })
  const mcpStart = performance.now()
  for (let i = 0; i < count; i++) await server.call("execute", { command: "true", wait_ms: 10_000 })
  const mcpRate = count / ((performance.now() - mcpStart) / 1000)
  await server.close()
  rows.push({ section: "short jobs", metric: `${count} x true, library`, unit: "jobs/s", ours: ourRate, baseline: baseRate, ratio: ourRate / baseRate, goal: ">= 0.7x", met: ourRate / baseRate >= 0.7 })
  rows.push({ section: "short jobs", metric: `${count} x true, MCP`, unit: "jobs/s", ours: mcpRate, baseline: baseRate, ratio: mcpRate / baseRate })
  log("short jobs done")
}

// 4. Tail and cursor-read cost against retained size.
const readCost = async () => {
  const runtime = library({ maxOutputSize: 128 * mib })
  const sizes = [["100 KiB", 100 * 1024], ["10 MiB", 10 * mib], ["100 MiB", 100 * mib]] as const
  const costs = new Map<string, { tail: number; read: number }>()
  for (const [label, bytes] of sizes) {
    const cost = await run(runtime, Effect.gen(function*() {
      const jobs = yield* JobManager
      const job = yield* jobs.execute({ command: `yes 'a log line of about fifty bytes, numbered 1234567' | head -c ${bytes}` })
      yield* jobs.wait(job.id, { timeout: "120 seconds", maxBytes: 1 })
      const status = yield* jobs.status(job.id)
      const cursor = `${job.id.slice(0, 8)}:${status.stdoutBytes - 64 * 1024}:0`
      const tails: Array<number> = []
      const reads: Array<number> = []
      for (let i = 0; i < 220; i++) {
        const t0 = performance.now()
        yield* jobs.tail(job.id, 50)
        const t1 = performance.now()
        const read = yield* jobs.output(job.id, { cursor })
        const t2 = performance.now()
        // One page: as much of the 64 KiB after the cursor as the result budget lets through.
        if (Buffer.byteLength(read.stdout) === 0) throw new Error("cursor read returned nothing")
        if (i >= 20) {
          tails.push(t1 - t0)
          reads.push(t2 - t1)
        }
      }
      return { tail: median(tails), read: median(reads) }
    }))
    costs.set(label, cost)
    rows.push({ section: "read cost", metric: `tail 50 lines, ${label} retained`, unit: "ms", ours: cost.tail })
    rows.push({ section: "read cost", metric: `cursor read of one page, 64 KiB from the end, ${label} retained`, unit: "ms", ours: cost.read })
  }
  await runtime.dispose()
  const small = costs.get("100 KiB")!
  const large = costs.get("100 MiB")!
  rows.push({ section: "read cost", metric: "tail 100 MiB / 100 KiB", unit: "x", ours: large.tail / small.tail, ratio: large.tail / small.tail, goal: "<= 1.5", met: large.tail / small.tail <= 1.5 })
  rows.push({ section: "read cost", metric: "cursor read 100 MiB / 100 KiB", unit: "x", ours: large.read / small.read, ratio: large.read / small.read, goal: "<= 1.5", met: large.read / small.read <= 1.5 })
  log("read cost done")
}

const options = { quick, rows, log }
const sections: Record<string, () => Promise<void>> = {
  backToBack: () => mcp.backToBack(options),
  exitedThroughput: () => mcp.exitedThroughput(options),
  throughput,
  coldStart: () => mcp.coldStart(options),
  responsiveness: () => mcp.responsiveness(options),
  memory: () => mcp.memory(options),
  resultBudget: () => mcp.resultBudget(options),
  latency,
  shortJobs,
  readCost
}
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",")

const main = async () => {
  const started = performance.now()
  log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown"}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB`)
  for (const [name, section] of Object.entries(sections)) {
    if (only !== undefined && !only.includes(name)) continue
    await section()
  }
  const header = `mcp-background-job bench — node ${process.version}, ${os.cpus().length} cores, ${((performance.now() - started) / 1000).toFixed(0)} s`
  process.stdout.write(`${header}\n\n${printTable(rows)}\n`)
  if (process.argv.includes("--json")) {
    process.stdout.write(`\n${JSON.stringify({ node: process.version, cores: os.cpus().length, results: rows }, null, 2)}\n`)
  }
}

await main()
