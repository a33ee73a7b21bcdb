/** Our MCP server as a real child process, driven through the SDK client over stdio. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)
/** The built bin of this package, resolved through its own exports. */
export const binPath = path.join(path.dirname(require.resolve("mcp-background-job/package.json")), "dist", "bin.js")

export interface RunningServer {
  readonly client: Client
  readonly pid: number
  readonly call: (name: string, args: Record<string, unknown>) => Promise<Record<string, unknown>>
  readonly close: () => Promise<void>
}

/** The baseline: a minimal SDK server (`rawSdkServer.ts`, built next to this module). */
export const rawServerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "rawSdkServer.js")

/** Starts our bin (or, with `args`, another Node script) and connects the SDK client to it. */
export const startServer = async (env: Record<string, string> = {}, args: ReadonlyArray<string> = [binPath]): Promise<RunningServer> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...args],
    env: { ...(process.env as Record<string, string>), MCP_BG_LOG_LEVEL: "warning", ...env },
    stderr: "ignore"
  })
  const client = new Client({ name: "bench", version: "0" })
  await client.connect(transport)
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult
    if (result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
    return result.structuredContent as Record<string, unknown>
  }
  return { client, pid: transport.pid!, call, close: () => client.close() }
}

/** Resident set size of a process in bytes, from /proc. */
export const rssOf = (pid: number): number => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match === null ? Number.NaN : Number(match[1]) * 1024
}

/** Our bin spoken to in raw JSON lines (no SDK client, so no limit on a message's size). */
export interface RawConnection {
  /** Calls a tool; resolves its result and the size of the answer's line in bytes. */
  readonly call: (name: string, args: Record<string, unknown>) => Promise<{ readonly result: Record<string, unknown>; readonly bytes: number }>
  readonly close: () => Promise<void>
}

export const startRawConnection = async (env: Record<string, string> = {}): Promise<RawConnection> => {
  const child = spawn(process.execPath, [binPath], {
    stdio: ["pipe", "pipe", "ignore"],
    env: { ...process.env, MCP_BG_LOG_LEVEL: "warning", ...env }
  })
  const pending = new Map<number, (line: string) => void>()
  let buffered: Array<Buffer> = []
  child.stdout.on("data", (chunk: Buffer) => {
    let at = chunk.indexOf(10)
    while (at >= 0) {
      buffered.push(chunk.subarray(0, at))
      const line = Buffer.concat(buffered).toString("utf8")
      buffered = []
      chunk = chunk.subarray(at + 1)
      at = chunk.indexOf(10)
      const id = (JSON.parse(line) as { id?: number }).id
      if (id !== undefined) pending.get(id)?.(line)
    }
    if (chunk.length > 0) buffered.push(chunk)
  })
  let nextId = 0
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<string>((resolve) => {
      const id = ++nextId
      pending.set(id, resolve)
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n")
    })
  await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } })
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n")
  return {
    call: async (name, args) => {
      const line = await request("tools/call", { name, arguments: args })
      const message = JSON.parse(line) as { result: { structuredContent: Record<string, unknown> } }
      return { result: message.result.structuredContent, bytes: Buffer.byteLength(line) }
    },
    close: () =>
      new Promise((resolve) => {
        child.on("exit", () => resolve())
        child.stdin.end()
      })
  }
}
