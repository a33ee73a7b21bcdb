/**
 * The baseline server: a minimal MCP SDK `Server` over stdio, loaded from node_modules as an application would
 * (not bundled). With `--list` it has one tool, `list`, answering `{ jobs: [] }` (the protocol round trip alone);
 * without, no tools (what `initialize` costs a bare SDK server).
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js"

const withList = process.argv.includes("--list")
const server = new Server({ name: "baseline", version: "0" }, { capabilities: withList ? { tools: {} } : {} })
if (withList) {
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [{ name: "list", inputSchema: { type: "object" as const, properties: {} } }]
  }))
  server.setRequestHandler(CallToolRequestSchema, () => {
    const structuredContent = { jobs: [] }
    return { content: [{ type: "text" as const, text: JSON.stringify(structuredContent) }], structuredContent }
  })
}
process.stdin.on("end", () => process.exit(0))
await server.connect(new StdioServerTransport())
