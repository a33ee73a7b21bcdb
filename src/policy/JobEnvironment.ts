/**
 * The environment a job starts with: the server's own, minus the server's secrets (`MCP_BG_*` tokens and
 * keys) and the names listed in `MCP_BG_SCRUB_ENV`, plus the job's own variables.
 *
 * @since 0.1.0
 */
import { namePatterns, SERVER_SECRETS } from "./NamePattern.js"

/**
 * Builds a job's environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const jobEnvironment = (options: {
  /** The server's environment (`process.env`). */
  readonly inherited: Readonly<Record<string, string | undefined>>
  /** Names or globs removed from the inherited environment, besides the server's secrets. */
  readonly scrub: ReadonlyArray<string>
  /** The job's own variables; they are added after scrubbing, so a job can still set a scrubbed name. */
  readonly extra: Readonly<Record<string, string>>
}): Record<string, string> => {
  const removed = namePatterns([...SERVER_SECRETS, ...options.scrub])
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.inherited)) {
    if (value !== undefined && !removed.matches(name)) env[name] = value
  }
  return Object.assign(env, options.extra)
}
