/**
 * Tool dispatch: `tools/list` from the tool table, and `tools/call` run with the request's progress
 * reporter, interrupted when the client cancels.
 *
 * @since 0.1.0
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js"
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ProgressToken,
  type ServerNotification,
  type ServerRequest
} from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import type { HandlerRuntime } from "./handlerRuntime.js"
import type * as McpTool from "./McpTool.js"

/**
 * Where Claude Code looks for the largest result text a tool may return (`_meta` of the tool definition).
 *
 * @since 0.1.0
 * @category tools
 */
export const MAX_RESULT_SIZE_META = "anthropic/maxResultSizeChars"

/** Room in a result's text for what is not output: status fields, cursors, notices. */
const RESULT_OVERHEAD = 8 * 1024

/**
 * The tools by name; a later tool of the same name replaces an earlier one (an application may replace a
 * job tool).
 *
 * @since 0.1.0
 * @category tools
 */
export const toolTable = <R>(tools: ReadonlyArray<McpTool.Any<R>>): ReadonlyMap<string, McpTool.Any<R>> =>
  new Map(tools.map((tool) => [tool.name, tool]))

/**
 * The context of one call: progress notifications go to the request's progress token, and are a no-op
 * without one. A notification that cannot be sent is dropped: progress is a courtesy, not a result.
 *
 * @since 0.1.0
 * @category tools
 */
export const toolContext = (
  progressToken: ProgressToken | undefined,
  send: RequestHandlerExtra<ServerRequest, ServerNotification>["sendNotification"]
): McpTool.ToolContext => ({
  hasProgressToken: progressToken !== undefined,
  progress: (progress, message) =>
    progressToken === undefined ?
      Effect.void :
      Effect.tryPromise(() =>
        send({
          method: "notifications/progress",
          params: { progressToken, progress, ...(message === undefined ? {} : { message }) }
        })
      ).pipe(Effect.ignore)
})

/**
 * Sets the `tools/list` and `tools/call` handlers of `server` for `tools`.
 *
 * @since 0.1.0
 * @category registration
 */
export const registerTools = <R>(
  server: Server,
  tools: ReadonlyMap<string, McpTool.Any<R>>,
  runtime: HandlerRuntime<R>,
  options: { readonly maxResultSize: number }
): void => {
  // Claude Code keeps a result whose text is under this size in the conversation (it writes a larger one to a
  // file). A result's text is its JSON: output with its escapes, plus the other fields and notices.
  const meta = { [MAX_RESULT_SIZE_META]: 2 * options.maxResultSize + RESULT_OVERHEAD }
  const definitions = Array.from(tools.values(), (tool) => ({ ...tool.definition, _meta: { ...tool.definition._meta, ...meta } }))
  server.setRequestHandler(ListToolsRequestSchema, () => Promise.resolve({ tools: definitions }))

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const tool = tools.get(request.params.name)
    if (tool === undefined) {
      return Promise.reject(
        new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(request.params.name)}. Call tools/list to see the tools.`)
      )
    }
    const context = toolContext(request.params._meta?.progressToken, extra.sendNotification)
    return runtime.run(tool.call(request.params.arguments, context), { signal: extra.signal })
  })
}
