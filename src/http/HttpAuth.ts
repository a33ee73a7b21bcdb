/**
 * Bearer tokens of HTTP mode: checking the `Authorization` header in constant time, and generating a token
 * and keeping it in a file only the user can read when none was configured.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import type { NamedToken } from "./HttpConfig.js"

/**
 * The token file could not be written.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenFileError extends Schema.TaggedError<TokenFileError>()("TokenFileError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot write the token file ${this.file}: ${this.reason}. Choose another path with MCP_BG_HTTP_TOKEN_FILE or set MCP_BG_HTTP_TOKEN.`
  }
}

/** Generated tokens carry 256 random bits. */
const TOKEN_BYTES = 32

/**
 * A fresh random token (256 bits, base64url).
 *
 * @since 0.1.0
 * @category tokens
 */
export const generateToken = (): string => randomBytes(TOKEN_BYTES).toString("base64url")

/**
 * Where a generated token is kept when no file is configured: the user's runtime directory when there is
 * one (private and cleared at logout), otherwise the state directory; one file per port, so servers on
 * different ports do not overwrite each other's token.
 *
 * @since 0.1.0
 * @category tokens
 */
export const defaultTokenFile = (port: number, env: NodeJS.ProcessEnv = process.env): string => {
  const base = env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== "" ?
    env.XDG_RUNTIME_DIR :
    env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== "" ?
    env.XDG_STATE_HOME :
    path.join(os.homedir(), ".local", "state")
  return path.join(base, "mcp-background-job", `http-${port}.token`)
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/**
 * Checks `Authorization` headers against the accepted tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenVerifier {
  /** The name of the token the header carries, or `undefined` when it carries none of them. */
  readonly verify: (authorization: string | undefined) => string | undefined
}

/**
 * A verifier for `tokens`. Tokens are compared as SHA-256 digests with `timingSafeEqual`, and every token
 * is compared whatever the outcome, so the time taken says nothing about the tokens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeVerifier = (tokens: ReadonlyArray<NamedToken>): TokenVerifier => {
  const known = tokens.map((token) => ({ name: token.name, digest: digest(token.token) }))
  return {
    verify: (authorization) => {
      const match = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
      const presented = digest(match?.[1] ?? "")
      let owner: string | undefined
      for (const token of known) {
        if (timingSafeEqual(token.digest, presented) && match !== null) owner = token.name
      }
      return owner
    }
  }
}

/**
 * Writes `token` to `file`, readable and writable by the user only, for the scope's lifetime: the file is
 * replaced atomically (a symlink at the path is replaced, not followed) and removed when the scope closes,
 * unless it holds another token by then.
 *
 * @since 0.1.0
 * @category tokens
 */
export const writeTokenFile = (file: string, token: string): Effect.Effect<void, TokenFileError, Scope.Scope> => {
  const failed = (error: unknown) =>
    new TokenFileError({ file, reason: error instanceof Error ? error.message : String(error) })
  const write = Effect.tryPromise({
    try: async () => {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`
      await fs.writeFile(temporary, token + "\n", { encoding: "utf8", flag: "wx", mode: 0o600 })
      await fs.rename(temporary, file).catch(async (error: unknown) => {
        await fs.rm(temporary, { force: true })
        throw error
      })
    },
    catch: failed
  })
  const remove = Effect.tryPromise(async () => {
    const current = await fs.readFile(file, "utf8")
    if (current.trim() === token) await fs.rm(file)
  }).pipe(Effect.ignore)
  return Effect.acquireRelease(write, () => remove)
}
