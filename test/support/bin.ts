/**
 * Running the built server (`dist/bin.js`) as a real child process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const binPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/bin.js")

export interface BinResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the bin to completion (for --help, --version and configuration errors). */
export const runBin = (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeoutMs = 10_000): Promise<BinResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`bin did not exit within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    // "close", not "exit": the output is complete only once the pipes are closed.
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })

/** A server speaking raw JSON lines on its stdin/stdout. */
export interface RawServer {
  readonly child: ChildProcessWithoutNullStreams
  /** Every stdout line so far, parsed. */
  readonly messages: Array<Record<string, unknown>>
  /** stdout lines that were not JSON (must stay empty). */
  readonly garbage: Array<string>
  readonly stderr: () => string
  readonly send: (message: unknown) => void
  readonly sendRaw: (line: string) => void
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export const startRawServer = (env: Record<string, string> = {}, args: ReadonlyArray<string> = []): RawServer => {
  const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
  const messages: Array<Record<string, unknown>> = []
  const garbage: Array<string> = []
  let buffered = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString()
    let newline = buffered.indexOf("\n")
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      try {
        messages.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        garbage.push(line)
      }
      newline = buffered.indexOf("\n")
    }
  })
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin.on("error", () => {})
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  )
  return {
    child,
    messages,
    garbage,
    stderr: () => stderr,
    send: (message) => child.stdin.write(JSON.stringify(message) + "\n"),
    sendRaw: (line) => child.stdin.write(line + "\n"),
    exited
  }
}

export const initializeRequest = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-test", version: "0" } }
})
