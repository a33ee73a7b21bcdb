/**
 * Agent-level tests run the same calls over both transports a client may use: in memory (the tools on a fresh
 * SDK `Server` next to a live `JobManager`) and stdio (the built `dist/bin.js`). A block connects its clients
 * once, before its tests, and after them checks that no process of its marker is left.
 */
import { expect } from "vitest"
import type { JobConfigInput } from "../../src/JobConfig.js"
import { forBlock } from "./blockFixture.js"
import { connectInMemory, connectStdio, type McpConnection } from "./mcpClient.js"
import { eventually } from "./polling.js"
import { killMarked, processesWithMarker } from "./processes.js"

/** The two ways a client reaches the server. */
export type TransportKind = "in-memory" | "stdio"

/** Both transports, for `describe.each`. */
export const transports: ReadonlyArray<TransportKind> = ["in-memory", "stdio"]

/** Server settings a test may change (durations in seconds, as the variables take them); the rest keep their defaults. */
export interface ServerSettings {
  readonly maxOutputSize?: number
  readonly maxResultSize?: number
  readonly killGrace?: number
  readonly cleanupInterval?: number
  readonly workingDir?: string
}

/** A client connected to a fresh server. */
export interface Harness extends McpConnection {
  readonly transport: TransportKind
}

const jobConfig = (settings: ServerSettings): JobConfigInput => ({
  killGrace: (settings.killGrace ?? 1) * 1000,
  ...(settings.maxOutputSize === undefined ? {} : { maxOutputSize: settings.maxOutputSize }),
  ...(settings.maxResultSize === undefined ? {} : { maxResultSize: settings.maxResultSize }),
  ...(settings.cleanupInterval === undefined ? {} : { cleanupInterval: settings.cleanupInterval * 1000 }),
  ...(settings.workingDir === undefined ? {} : { workingDir: settings.workingDir })
})

const serverEnv = (settings: ServerSettings): Record<string, string> => ({
  MCP_BG_KILL_GRACE: String(settings.killGrace ?? 1),
  ...(settings.maxOutputSize === undefined ? {} : { MCP_BG_MAX_OUTPUT_SIZE: String(settings.maxOutputSize) }),
  ...(settings.maxResultSize === undefined ? {} : { MCP_BG_MAX_RESULT_SIZE: String(settings.maxResultSize) }),
  ...(settings.cleanupInterval === undefined ? {} : { MCP_BG_CLEANUP_INTERVAL: String(settings.cleanupInterval) }),
  ...(settings.workingDir === undefined ? {} : { MCP_BG_WORKING_DIR: settings.workingDir })
})

/** A client on the given transport. */
export const connect = async (transport: TransportKind, settings: ServerSettings = {}): Promise<Harness> => ({
  ...(transport === "in-memory" ? await connectInMemory(jobConfig(settings)) : await connectStdio(serverEnv(settings))),
  transport
})

/** A harness whose members are those of the one `get` returns once it exists. */
const forwarding = (get: () => Harness): Harness => ({
  get transport() {
    return get().transport
  },
  get client() {
    return get().client
  },
  get clientErrors() {
    return get().clientErrors
  },
  call: (name, args, options) => get().call(name, args, options),
  callError: (name, args) => get().callError(name, args),
  result: (name, args) => get().result(name, args),
  close: () => get().close()
})

/**
 * For a `describe` block: connects one client per settings (in parallel) before its tests; after them closes
 * them and checks that every process whose command line holds `marker` is gone (killing any left).
 */
export const connectForBlock = <const More extends ReadonlyArray<() => ServerSettings>>(
  transport: TransportKind,
  marker: string,
  first: () => ServerSettings = () => ({}),
  ...more: More
): [Harness, ...{ [K in keyof More]: Harness }] => {
  const settings = [first, ...more]
  const connected = forBlock(
    "the harness",
    () => Promise.all(settings.map((of) => connect(transport, of()))),
    async (harnesses) => {
      await Promise.all(harnesses.map((harness) => harness.close()))
      const gone = await eventually(() => processesWithMarker(marker).length === 0, 15_000)
      killMarked(marker)
      expect(gone).toBe(true)
    }
  )
  return settings.map((_, index) => forwarding(() => connected()[index]!)) as [Harness, ...{ [K in keyof More]: Harness }]
}

/**
 * A shell command that runs a Node script; `marker` (from `uniqueMarker`) goes into the script as a comment so
 * the process can be found by its command line.
 */
export const nodeScript = (script: string, marker = ""): string =>
  `${shellQuote(process.execPath)} -e ${shellQuote(marker === "" ? script : `${script} /* ${marker} */`)}`

/** Quotes a string for /bin/sh. */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`
