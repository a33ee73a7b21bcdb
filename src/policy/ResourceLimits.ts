/**
 * Per-job resource limits, applied with `ulimit` by a POSIX `/bin/sh` that then `exec`s the job's shell, so
 * they hold for the shell and everything it starts (each process gets the limit; they are not shared).
 * Both the soft and the hard limit are set: the job cannot raise them again.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

/**
 * The limits; `None` leaves a resource as the server has it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceLimits {
  /** Largest file a process may write, in bytes (rounded up to 512-byte blocks); past it the write fails (SIGXFSZ). */
  readonly fileSize: Option.Option<number>
  /** Most file descriptors a process may have open. */
  readonly openFiles: Option.Option<number>
  /** CPU seconds per process; then SIGXCPU, and SIGKILL at the hard limit. */
  readonly cpuSeconds: Option.Option<number>
  /** Largest virtual address space per process, in bytes (rounded up to KiB). */
  readonly virtualMemory: Option.Option<number>
}

/** The shell that applies the limits: POSIX `ulimit -f` counts 512-byte blocks in it. */
const LIMIT_SHELL = "/bin/sh"

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`

/**
 * The `ulimit` commands for the limits, or `undefined` when there are none.
 *
 * @since 0.1.0
 * @category rendering
 */
export const ulimitCommands = (limits: ResourceLimits): string | undefined => {
  const parts: Array<string> = []
  Option.map(limits.fileSize, (bytes) => parts.push(`ulimit -f ${Math.ceil(bytes / 512)}`))
  Option.map(limits.openFiles, (count) => parts.push(`ulimit -n ${count}`))
  Option.map(limits.cpuSeconds, (seconds) => parts.push(`ulimit -t ${Math.ceil(seconds)}`))
  Option.map(limits.virtualMemory, (bytes) => parts.push(`ulimit -v ${Math.ceil(bytes / 1024)}`))
  return parts.length === 0 ? undefined : parts.join(" && ")
}

/**
 * What to spawn so that `<shell> -c <command>` runs under the limits: `/bin/sh -c 'ulimit … && exec <shell>
 * -c <command>'`. The shell keeps the spawned pid (exec), so the job's process group is unchanged. Without
 * limits, the shell and command are returned as they are.
 *
 * @since 0.1.0
 * @category rendering
 */
export const withLimits = (
  shell: string,
  command: string,
  limits: ResourceLimits
): { readonly shell: string; readonly command: string } => {
  const ulimits = ulimitCommands(limits)
  if (ulimits === undefined) return { shell, command }
  return { shell: LIMIT_SHELL, command: `${ulimits} || exit 126; exec ${quote(shell)} -c ${quote(command)}` }
}
