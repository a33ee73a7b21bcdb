/** Our MCP server as a real child process, driven through the SDK client over stdio. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"

const require = createRequire(import.meta.url)
/** The built bin of this package, resolved through its own exports. */
export const binPath = path.join(path.dirname(require.resolve("mcp-background-job/package.json")), "dist", "bin.js")

export interface RunningServer {
  readonly client: Client
  readonly pid: number
  readonly call: (name: string, args: Record<string, unknown>) => Promise<Record<string, unknown>>
  readonly close: () => Promise<void>
}

export const startServer = async (env: Record<string, string> = {}): Promise<RunningServer> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath],
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
