/**
 * The built package as a child process: `dist/bin.js` (the server, the CLI) and the guard, with an environment
 * free of the developer's own `MCP_BG_*` settings.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { eventually } from "./polling.js"

/** A file of the built package (`npm test` builds before it runs the suite). */
const distFile = (file: string): string => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url))

export const binPath = distFile("bin.js")
export const guardPath = distFile("guard/main.js")

/** This process's environment without any `MCP_BG_*` setting, plus `env`. */
export const binEnv = (env: Record<string, string> = {}): Record<string, string> => {
  const inherited: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith("MCP_BG_")) inherited[name] = value
  return { ...inherited, ...env }
}

export interface BinExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface BinResult extends BinExit {
  readonly stdout: string
  readonly stderr: string
}

/** The bin running, its output collected as it comes. */
export interface BinProcess {
  readonly child: ChildProcess
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process exits (its pipes may still hold output). */
  readonly exited: Promise<BinExit>
  /** Resolves when the process has exited and its pipes are closed: the output is complete. */
  readonly closed: Promise<BinResult>
}

export const spawnBin = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly stdin?: "pipe" | "ignore"; readonly cwd?: string } = {}
): BinProcess => {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: binEnv(env),
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  // A server that exits while we write must not crash the test with EPIPE.
  child.stdin?.on("error", () => {})
  return {
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    closed: new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })))
  }
}

/** Runs the bin to completion with stdin closed (--help, --version, configuration errors, the CLI). */
export const runBin = async (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<BinResult> => {
  const running = spawnBin(args, env)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      running.child.kill("SIGKILL")
      reject(new Error(`bin ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr: ${running.stderr()}`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([running.closed, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The bin in HTTP mode, once it said where it listens. */
export interface HttpBin extends BinProcess {
  readonly port: number
  readonly url: string
  /** SIGTERM unless it has exited already; resolves with the exit code. */
  readonly stop: () => Promise<number | null>
}

/** Starts the bin with `args` (which include --http) and waits until it says where it listens. */
export const startHttpBin = async (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<HttpBin> => {
  const running = spawnBin(args, { MCP_BG_LOG_LEVEL: "warning", ...env })
  let exit: BinExit | undefined
  void running.exited.then((exited) => {
    exit = exited
  })
  const listening = await eventually(() => /listening on http:\/\/[^\s]+:(\d+)\/mcp/.test(running.stderr()) || exit !== undefined, 20_000)
  const match = /listening on (http:\/\/[^\s]+:(\d+)\/mcp)/.exec(running.stderr())
  if (!listening || match === null) {
    running.child.kill("SIGKILL")
    throw new Error(`the server did not start: ${running.stderr()}`)
  }
  const stop = async () => {
    if (exit === undefined) running.child.kill("SIGTERM")
    return (await running.exited).code
  }
  return { ...running, port: Number(match[2]), url: match[1]!, stop }
}
