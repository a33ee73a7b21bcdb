/**
 * What the server tells its guard process: one line of text per message on the guard's stdin.
 *
 * @internal
 */

/** @internal */
export type GuardMessage =
  | { readonly _tag: "group"; readonly pgid: number; readonly startedAfter: number; readonly marker: string }
  | { readonly _tag: "process"; readonly pgid: number; readonly pid: number; readonly startTime: number }
  | { readonly _tag: "release"; readonly pgid: number }
  /** A clean goodbye: the server stopped every job itself, so the guard exits without signalling. */
  | { readonly _tag: "bye" }

/** The message as one line, newline included. @internal */
export const encodeGuardMessage = (message: GuardMessage): string => {
  switch (message._tag) {
    case "group":
      return `group ${message.pgid} ${message.startedAfter} ${message.marker}\n`
    case "process":
      return `process ${message.pgid} ${message.pid} ${message.startTime}\n`
    case "release":
      return `release ${message.pgid}\n`
    case "bye":
      return "bye\n"
  }
}

const positive = (text: string | undefined): number | undefined => {
  const value = Number(text)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}

const nonNegative = (text: string | undefined): number | undefined => {
  const value = Number(text)
  return text !== undefined && text !== "" && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/** Reads one line (without its newline); undefined for a line that is not a message. @internal */
export const decodeGuardMessage = (line: string): GuardMessage | undefined => {
  const [tag, ...fields] = line.trim().split(" ")
  switch (tag) {
    case "group": {
      const pgid = positive(fields[0])
      const startedAfter = nonNegative(fields[1])
      const marker = fields[2]
      return pgid === undefined || startedAfter === undefined || marker === undefined || !marker.includes("=") ?
        undefined :
        { _tag: "group", pgid, startedAfter, marker }
    }
    case "process": {
      const pgid = positive(fields[0])
      const pid = positive(fields[1])
      const startTime = nonNegative(fields[2])
      return pgid === undefined || pid === undefined || startTime === undefined ?
        undefined :
        { _tag: "process", pgid, pid, startTime }
    }
    case "release": {
      const pgid = positive(fields[0])
      return pgid === undefined ? undefined : { _tag: "release", pgid }
    }
    case "bye":
      return { _tag: "bye" }
    default:
      return undefined
  }
}
