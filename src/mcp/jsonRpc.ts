/**
 * JSON-RPC 2.0 error answers for messages the SDK cannot route to a handler (unreadable lines, bad
 * requests, unknown sessions): the spec answers them with `id: null`.
 *
 * @since 0.1.0
 */
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"

/**
 * An error answer with `id: null`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorWithoutId = (code: number, message: string): JSONRPCMessage =>
  // The SDK's message type has no null id; JSON-RPC 2.0 requires it for a request that could not be read.
  ({ jsonrpc: "2.0", id: null, error: { code, message } }) as unknown as JSONRPCMessage
