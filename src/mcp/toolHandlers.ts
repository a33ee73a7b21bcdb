/**
 * Tool dispatch: `tools/list` from the tool table, and `tools/call` run with the request's progress
 * reporter, interrupted when the client cancels; every result carries the session's notices.
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
  type ServerRequest,
  type Tool
} from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import type { HandlerRuntime } from "./handlerRuntime.js"
import type * as McpTool from "./McpTool.js"
import { declareNotices, withNotices } from "./resultNotices.js"
import type { SessionNotices } from "./SessionNotices.js"

/**
 * Where Claude Code looks for the largest result text a tool may return (`_meta` of the tool definition).
 *
 * @since 0.1.0
 * @category tools
 */
export const MAX_RESULT_SIZE_META = "anthropic/maxResultSizeChars"

/** Room in a result's text for what is not output: status fields, cursors, notices. */
const RESULT_OVERHEAD = 16 * 1024

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
 * Sets the `tools/list` and `tools/call` handlers of `server` for `tools`. With `notices`, each result
 * (an error included) takes the notices pending when it is built, and each output schema declares them.
 *
 * @since 0.1.0
 * @category registration
 */
export const registerTools = <R>(
  server: Server,
  tools: ReadonlyMap<string, McpTool.Any<R>>,
  runtime: HandlerRuntime<R>,
  options: { readonly maxResultSize: number; readonly notices?: SessionNotices | undefined }
): void => {
  const notices = options.notices
  // Claude Code keeps a result whose text is under this size in the conversation (it writes a larger one to a
  // file). A result's text is its JSON: output with its escapes, plus the other fields and notices.
  const meta = { [MAX_RESULT_SIZE_META]: 2 * options.maxResultSize + RESULT_OVERHEAD }
  // Built on the first tools/list: a client's `initialize` is answered without them.
  let definitions: Array<Tool> | undefined
  const listed = () =>
    definitions ??= Array.from(tools.values(), (tool) => {
      const definition = { ...tool.definition, _meta: { ...tool.definition._meta, ...meta } }
      return notices === undefined ? definition : declareNotices(definition)
    })
  server.setRequestHandler(ListToolsRequestSchema, () => Promise.resolve({ tools: listed() }))

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const tool = tools.get(request.params.name)
    if (tool === undefined) {
      return Promise.reject(
        new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(request.params.name)}. Call tools/list to see the tools.`)
      )
    }
    const context = toolContext(request.params._meta?.progressToken, extra.sendNotification)
    const call = tool.call(request.params.arguments, context)
    return runtime.run(notices === undefined ? call : Effect.map(call, (result) => withNotices(result, notices.take())), {
      signal: extra.signal
    })
  })
}
