/**
 * Why a process could not start, as a sentence that says what to do: checks made before the spawn, and Node's
 * spawn errors and thrown defects translated.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as fs from "node:fs"
import { SpawnFailed } from "../../domain/errors.js"
import type { SpawnRequest } from "../../Spawner.js"

/** One argument may hold at most this many bytes on Linux (MAX_ARG_STRLEN); longer ones fail with E2BIG. */
const MAX_ARGUMENT_BYTES = 128 * 1024 - 1

/** Refuses a command longer than one argument may be, before trying. @internal */
export const checkCommandSize = (request: SpawnRequest): Either.Either<void, SpawnFailed> => {
  const size = Buffer.byteLength(request.command)
  return size > MAX_ARGUMENT_BYTES ?
    Either.left(
      new SpawnFailed({
        command: request.command,
        reason: `the command is ${size} bytes; the system takes at most 128 KiB in one argument. Write a long script to a file and run the file.`
      })
    ) :
    Either.right(undefined)
}

/** The shell is missing or not executable. @internal */
export const shellNotExecutable = (request: SpawnRequest): SpawnFailed =>
  new SpawnFailed({
    command: request.command,
    reason: `the shell ${JSON.stringify(request.shell)} was not found or is not executable. Set MCP_BG_SHELL to an existing shell such as /bin/sh.`
  })

/** A spawn that Node reported as failed (its `error` event), by the system's error code. @internal */
export const spawnError = (request: SpawnRequest, error: NodeJS.ErrnoException): SpawnFailed =>
  new SpawnFailed({ command: request.command, reason: describeSpawnError(request, error) })

const describeSpawnError = (request: SpawnRequest, error: NodeJS.ErrnoException): string => {
  // A missing working directory and a missing shell are both ENOENT: look which one it is (on failure only).
  if (error.code === "ENOENT" && !fs.existsSync(request.cwd)) {
    return `the working directory ${JSON.stringify(request.cwd)} does not exist or is not accessible. Pass an existing cwd.`
  }
  if (error.code === "ENOENT") {
    return `the shell ${JSON.stringify(request.shell)} was not found. Set MCP_BG_SHELL to an existing shell such as /bin/sh.`
  }
  if (error.code === "EACCES" || error.code === "EPERM") {
    return `permission denied running ${JSON.stringify(request.shell)} in ${JSON.stringify(request.cwd)}. Check that the shell is executable and the directory is accessible.`
  }
  return `${error.message}. Check the shell (MCP_BG_SHELL) and the working directory.`
}

const isTooBig = (defect: unknown): boolean =>
  typeof defect === "object" && defect !== null && "code" in defect && defect.code === "E2BIG"

/** A spawn that threw (E2BIG for a huge environment is thrown, not reported). @internal */
export const spawnDefect = (request: SpawnRequest, defect: unknown): SpawnFailed =>
  new SpawnFailed({
    command: request.command,
    reason: isTooBig(defect) ?
      "the command and its environment together are larger than the system accepts (E2BIG). Pass fewer or smaller env values, or put large data in a file." :
      `${String(defect)}. Check the command and its environment.`
  })
