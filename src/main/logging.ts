/**
 * Where the server's logs go: logfmt lines on stderr, never stdout, which belongs to the MCP protocol.
 *
 * @since 0.1.0
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

/**
 * Replaces Effect's default logger (which writes to stdout) with logfmt lines on stderr.
 *
 * @since 0.1.0
 * @category layers
 */
export const stderrLogger: Layer.Layer<never> = Logger.replace(
  Logger.defaultLogger,
  Logger.withConsoleError(Logger.logfmtLogger)
)
