/**
 * Helpers for the lifecycle tests: a `sleep` under a marked name (so that every process of a test is counted
 * by its command line), the job runtime in-process, and the built server over stdio.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { JobConfig, type JobConfigInput } from "../../src/JobConfig.js"
import { JobManager } from "../../src/JobManager.js"
import { eventually, killMarked, processesWithMarker, uniqueMarker } from "./processes.js"

/** The built server and guard (`npm test` builds before it runs the suite). */
export const binPath = fileURLToPath(new URL("../../dist/bin.js", import.meta.url))
export const guardPath = fileURLToPath(new URL("../../dist/guard/main.js", import.meta.url))

const sleepBinary = execFileSync("sh", ["-c", "command -v sleep"], { encoding: "utf8" }).trim()

/**
 * `sleep` under a unique name: `sleep` is the path to run, and every process whose command line holds
 * `marker` (the sleeps, and the shells whose command text names them) belongs to the test.
 */
export interface MarkedSleep {
  readonly marker: string
  readonly sleep: string
  /** Live processes of the test. */
  readonly live: () => number
  /** Live `sleep` processes of the test (shells excluded). */
  readonly sleepers: () => number
  /** Kills whatever is left and removes the link. */
  readonly dispose: () => void
}

export const markedSleep = (): MarkedSleep => {
  const marker = uniqueMarker()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-lifecycle-"))
  const sleep = path.join(dir, marker)
  fs.symlinkSync(sleepBinary, sleep)
  return {
    marker,
    sleep,
    live: () => processesWithMarker(marker).length,
    sleepers: () => processesWithMarker(marker).filter((p) => p.cmdline.startsWith(sleep)).length,
    dispose: () => {
      killMarked(marker)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Waits until `check` holds, failing the test with `what` when the deadline passes. */
export const expectEventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  if (!(await eventually(check, timeoutMs))) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
}

type Jobs = JobManager["Type"]

/** The job runtime with real processes, in this process. */
export interface InProcessJobs {
  readonly run: <A, E>(f: (jobs: Jobs) => Effect.Effect<A, E>) => Promise<A>
  readonly attempt: <A, E>(f: (jobs: Jobs) => Effect.Effect<A, E>) => Promise<Either.Either<A, E>>
  readonly dispose: () => Promise<void>
}

export const inProcessJobs = (input: JobConfigInput = {}): InProcessJobs => {
  const runtime = ManagedRuntime.make(
    JobManager.layerNode(JobConfig.make(input)).pipe(Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Warning)))
  )
  return {
    run: (f) => runtime.runPromise(Effect.flatMap(JobManager, f)),
    attempt: (f) => runtime.runPromise(Effect.either(Effect.flatMap(JobManager, f))),
    dispose: () => runtime.dispose()
  }
}

/** The built server, driven through the SDK client over stdio. */
export interface StdioServer {
  readonly client: Client
  readonly pid: number
  readonly stderr: () => string
  /** Calls a tool and returns its result (tool errors included). */
  readonly call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>
  /** Calls a tool that must succeed and returns its structured content. */
  readonly structured: <T = Record<string, unknown>>(name: string, args?: Record<string, unknown>) => Promise<T>
  readonly close: () => Promise<void>
}

export const startServer = async (env: Record<string, string> = {}): Promise<StdioServer> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath],
    env: { ...processEnv(), MCP_BG_LOG_LEVEL: "warning", ...env },
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const client = new Client({ name: "lifecycle-test", version: "0.0.0" })
  await client.connect(transport)
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult
  return {
    client,
    pid: transport.pid!,
    stderr: () => stderr,
    call,
    structured: async <T>(name: string, args: Record<string, unknown> = {}) => {
      const result = await call(name, args)
      if (result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
      return result.structuredContent as T
    },
    close: () => client.close()
  }
}

export const processEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value
  return env
}

/** The text of a tool result's first content item. */
export const textOf = (result: CallToolResult): string => {
  const first = result.content[0]
  return first !== undefined && first.type === "text" ? first.text : ""
}

/** Whether a process with this pid exists and is not a zombie. */
export const pidAlive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    return state !== "Z" && state !== "X"
  } catch {
    return false
  }
}

/** Live child processes of `pid` whose command line contains `text`. */
export const childrenOf = (pid: number, text: string): Array<number> => {
  const found: Array<number> = []
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "latin1")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(fields[1]) !== pid || fields[0] === "Z") continue
      if (fs.readFileSync(`/proc/${name}/cmdline`, "latin1").includes(text)) found.push(Number(name))
    } catch {
      // gone
    }
  }
  return found
}

/** Zombie children of `pid`: processes it started and never reaped. */
export const zombieChildren = (pid: number): number => {
  let count = 0
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "latin1")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (fields[0] === "Z" && Number(fields[1]) === pid) count++
    } catch {
      // gone
    }
  }
  return count
}

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

/** A JSON-RPC message as read from the server's stdout. */
export interface RpcMessage {
  readonly jsonrpc: "2.0"
  readonly id?: number | string | null
  readonly method?: string
  readonly result?: Record<string, unknown>
  readonly error?: { readonly code: number; readonly message: string }
}

/** The built server as a plain child process: raw lines in, JSON-RPC messages out. */
export interface RawServer {
  readonly child: ChildProcess
  readonly pid: number
  /** Every message the server wrote, in order. */
  readonly messages: Array<RpcMessage>
  /** Lines on stdout that were not JSON (must stay empty: stdout carries protocol messages only). */
  readonly strayLines: Array<string>
  readonly stderr: () => string
  /** Writes one line as is (a newline is added). */
  readonly sendLine: (line: string) => void
  readonly request: (method: string, params?: Record<string, unknown>) => Promise<RpcMessage>
  /** Sends `initialize` and `notifications/initialized`. */
  readonly initialize: () => Promise<void>
  /** Calls a tool that must succeed and returns its structured content. */
  readonly tool: <T = Record<string, unknown>>(name: string, args?: Record<string, unknown>) => Promise<T>
  /** Waits for the next message that answers `id`. */
  readonly answerTo: (id: number | string | null) => Promise<RpcMessage>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

export const startRawServer = (env: Record<string, string> = {}, options: { readonly cwd?: string } = {}): RawServer => {
  const child = spawn(process.execPath, [binPath], {
    env: { ...processEnv(), MCP_BG_LOG_LEVEL: "warning", ...env },
    stdio: ["pipe", "pipe", "pipe"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  const messages: Array<RpcMessage> = []
  const strayLines: Array<string> = []
  const waiters: Array<() => void> = []
  let stdoutBuffer = ""
  let stderr = ""
  child.stdout!.setEncoding("utf8")
  child.stdout!.on("data", (chunk: string) => {
    stdoutBuffer += chunk
    let newline = stdoutBuffer.indexOf("\n")
    while (newline >= 0) {
      const line = stdoutBuffer.slice(0, newline)
      stdoutBuffer = stdoutBuffer.slice(newline + 1)
      try {
        messages.push(JSON.parse(line) as RpcMessage)
      } catch {
        strayLines.push(line)
      }
      newline = stdoutBuffer.indexOf("\n")
    }
    for (const wake of waiters.splice(0)) wake()
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  // A server that exits while we write must not crash the test with EPIPE.
  child.stdin!.on("error", () => {})
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve({ code, signal })
      for (const wake of waiters.splice(0)) wake()
    })
  })
  let nextId = 1
  const sendLine = (line: string) => {
    child.stdin!.write(line + "\n")
  }
  const answerTo = async (id: number | string | null) => {
    const deadline = Date.now() + 120_000
    let seen = 0
    while (true) {
      for (; seen < messages.length; seen++) {
        const message = messages[seen]!
        if (message.method === undefined && message.id === id) return message
      }
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before answering ${id}`)
      if (Date.now() > deadline) throw new Error(`no answer to ${id}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 1000)
      })
    }
  }
  const request = (method: string, params: Record<string, unknown> = {}) => {
    const id = nextId++
    sendLine(JSON.stringify({ jsonrpc: "2.0", id, method, params }))
    return answerTo(id)
  }
  return {
    child,
    pid: child.pid!,
    messages,
    strayLines,
    stderr: () => stderr,
    sendLine,
    request,
    answerTo,
    initialize: async () => {
      const answer = await request("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "lifecycle-test", version: "0.0.0" }
      })
      if (answer.result === undefined) throw new Error(`initialize failed: ${JSON.stringify(answer)}`)
      sendLine(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
    },
    tool: async <T>(name: string, args: Record<string, unknown> = {}) => {
      const answer = await request("tools/call", { name, arguments: args })
      const result = answer.result as CallToolResult | undefined
      if (result === undefined || result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(answer)}`)
      return result.structuredContent as T
    },
    exited
  }
}

/** The result of `list`. */
export interface Listed {
  readonly jobs: ReadonlyArray<{ readonly job_id: string; readonly status: string }>
}

/** Runs `count` short jobs one after another, each to its end; returns the open descriptors before and after. */
export const sequentialJobs = async (server: StdioServer, count: number) => {
  // One job first, so that everything the server opens once (the spawner's machinery) is open already.
  await server.structured("execute", { command: "true", wait_ms: 30_000 })
  await expectEventually("the first job is cleaned up", async () => (await server.structured<Listed>("list")).jobs.length === 0)
  const before = openFds(server.pid)
  let completed = 0
  for (let i = 0; i < count; i++) {
    const result = await server.structured<{ status: string; stdout: string }>("execute", {
      command: `echo job ${i}`,
      wait_ms: 30_000
    })
    if (result.status === "completed" && result.stdout === `job ${i}\n`) completed++
  }
  await expectEventually("every job is cleaned up", async () => (await server.structured<Listed>("list")).jobs.length === 0, 30_000)
  await expectEventually("the descriptors are back", () => openFds(server.pid) <= before, 30_000)
  return { completed, before, after: openFds(server.pid), zombies: zombieChildren(server.pid) }
}
