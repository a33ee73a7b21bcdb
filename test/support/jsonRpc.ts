/**
 * JSON-RPC messages as a raw client writes and reads them (no SDK in between).
 */

/** A JSON-RPC message as read from the server. */
export interface RpcMessage {
  readonly jsonrpc: "2.0"
  readonly id?: number | string | null
  readonly method?: string
  readonly result?: Record<string, unknown>
  readonly error?: { readonly code: number; readonly message: string }
}

/** The `initialize` request that opens a session. */
export const initializeRequest = (id: number | string = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-test", version: "0" } }
})

/** The notification that completes the handshake. */
export const initializedNotification = { jsonrpc: "2.0", method: "notifications/initialized" }
