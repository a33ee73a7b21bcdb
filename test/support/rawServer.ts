/**
 * The built server over stdio without an SDK client: raw lines in, JSON-RPC messages out, and every line on
 * stdout that is not JSON kept apart (there must be none: stdout carries protocol messages only).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { onTestFinished } from "vitest"
import { type BinProcess, spawnBin } from "./bin.js"
import { initializedNotification, initializeRequest, type RpcMessage } from "./jsonRpc.js"
import { signalQuietly } from "./processes.js"
import { structuredOf } from "./toolResults.js"

export interface RawServer extends BinProcess {
  /** Every message the server wrote, in order. */
  readonly messages: Array<RpcMessage>
  /** Lines on stdout that were not JSON (must stay empty). */
  readonly strayLines: Array<string>
  /** Writes one line as is (a newline is added). */
  readonly sendLine: (line: string) => void
  /** Writes one message as a JSON line. */
  readonly send: (message: unknown) => void
  readonly request: (method: string, params?: Record<string, unknown>) => Promise<RpcMessage>
  /** Sends `initialize` and `notifications/initialized`. */
  readonly initialize: () => Promise<void>
  /** Calls a tool that must succeed and returns its structured content. */
  readonly tool: <T = Record<string, unknown>>(name: string, args?: Record<string, unknown>) => Promise<T>
  /** Waits for the next message that answers `id`. */
  readonly answerTo: (id: number | string | null) => Promise<RpcMessage>
}

/** Starts the bin with quiet logs unless `env` says otherwise. */
export const startRawServer = (env: Record<string, string> = {}, options: { readonly cwd?: string } = {}): RawServer => {
  const running = spawnBin([], { MCP_BG_LOG_LEVEL: "warning", ...env }, { stdin: "pipe", ...options })
  const { child } = running
  const messages: Array<RpcMessage> = []
  const strayLines: Array<string> = []
  const waiters: Array<() => void> = []
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter()
  }
  let buffered = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8")
    let newline = buffered.indexOf("\n")
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      try {
        messages.push(JSON.parse(line) as RpcMessage)
      } catch {
        strayLines.push(line)
      }
      newline = buffered.indexOf("\n")
    }
    wake()
  })
  void running.exited.then(wake)
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
      // Woken by the next output or the exit; the timer only bounds a wait that nothing ends.
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 1000)
      })
    }
  }
  let nextId = 1
  const request = (method: string, params: Record<string, unknown> = {}) => {
    const id = nextId++
    sendLine(JSON.stringify({ jsonrpc: "2.0", id, method, params }))
    return answerTo(id)
  }
  return {
    ...running,
    messages,
    strayLines,
    sendLine,
    send: (message) => sendLine(JSON.stringify(message)),
    request,
    answerTo,
    initialize: async () => {
      const answer = await request("initialize", initializeRequest().params)
      if (answer.result === undefined) throw new Error(`initialize failed: ${JSON.stringify(answer)}`)
      sendLine(JSON.stringify(initializedNotification))
    },
    tool: async <T>(name: string, args: Record<string, unknown> = {}) => {
      const answer = await request("tools/call", { name, arguments: args })
      if (answer.result === undefined) throw new Error(`${name} failed: ${JSON.stringify(answer)}`)
      return structuredOf<T>(name, answer.result as CallToolResult)
    }
  }
}

/** `startRawServer` inside a test, killed when the test finishes. */
export const startRawServerForTest = (env: Record<string, string> = {}, options: { readonly cwd?: string } = {}): RawServer => {
  const server = startRawServer(env, options)
  onTestFinished(() => signalQuietly(server.pid, "SIGKILL"))
  return server
}
