/**
 * A job's working directory: resolved against `MCP_BG_WORKING_DIR` and, when restricted, required to lie
 * inside it after `..` and symbolic links are resolved (by realpath).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { CommandRejected, InvalidArgument } from "../domain/errors.js"
import { failLogged } from "./Refusal.js"

/**
 * Whether `candidate` is `root` or lies below it, comparing whole path components (`/srv/app-evil` is not
 * inside `/srv/app`). Both must be absolute and normalised.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isInside = (root: string, candidate: string): boolean => {
  const relative = path.relative(root, candidate)
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

/** Refuses with the working-directory rule, logged like every refusal. */
const rejectWorkingDirectory = (command: string, cwd: string, reason: string): Effect.Effect<never, CommandRejected> =>
  failLogged(
    new CommandRejected({ command, reason: `refused by rule working-directory: ${reason}`, rule: "working-directory", refused: cwd }),
    { command, rule: "working-directory", refused: cwd, reason }
  )

/**
 * Resolves a job's `cwd` (absent or empty: the working directory itself). It must exist and be a directory;
 * with `restrict`, its real path must be inside the working directory's real path, and the real path is what
 * the job gets (so a symlink swapped after the check cannot move it).
 *
 * @since 0.1.0
 * @category resolving
 */
export const resolveWorkingDirectory = (options: {
  /** The configured working directory, already a real path. */
  readonly workingDir: string
  readonly cwd: string | undefined
  readonly restrict: boolean
  /** The job's command, for the refusal's log line. */
  readonly command: string
}): Effect.Effect<string, InvalidArgument | CommandRejected> =>
  Effect.gen(function*() {
    const { workingDir, cwd, restrict } = options
    if (cwd === undefined || cwd === "") return workingDir
    if (cwd.includes("\0")) {
      return yield* new InvalidArgument({ argument: "cwd", reason: "it contains a NUL character." })
    }
    const resolved = path.resolve(workingDir, cwd)
    const real = yield* Effect.tryPromise(() => fs.realpath(resolved)).pipe(
      Effect.mapError(() =>
        new InvalidArgument({
          argument: "cwd",
          reason: `${JSON.stringify(resolved)} does not exist. Pass an existing directory (relative paths start at ${workingDir}).`
        })
      )
    )
    if (restrict && !isInside(workingDir, real)) {
      return yield* rejectWorkingDirectory(
        options.command,
        cwd,
        `the cwd ${JSON.stringify(cwd)} resolves to ${real}, outside the working directory ${workingDir} (MCP_BG_RESTRICT_CWD). Pass a directory inside it.`
      )
    }
    const stat = yield* Effect.tryPromise(() => fs.stat(real)).pipe(
      Effect.mapError(() => new InvalidArgument({ argument: "cwd", reason: `${JSON.stringify(resolved)} cannot be read.` }))
    )
    if (!stat.isDirectory()) {
      return yield* new InvalidArgument({ argument: "cwd", reason: `${JSON.stringify(resolved)} is not a directory.` })
    }
    return restrict ? real : resolved
  })
