/**
 * Reading a tool result as a client gets it: the structured content of a call that must succeed (and whose
 * text copy must be the same JSON), or the message of a call that must fail.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"

/** A structured tool result. */
export type Structured = Record<string, unknown>

/** The result of `list`. */
export interface Listed {
  readonly jobs: ReadonlyArray<{ readonly job_id: string; readonly status: string }>
}

/** The text of a result's first content item ("" when it has none). */
export const textOf = (result: CallToolResult): string => {
  const first = result.content[0]
  return first !== undefined && first.type === "text" ? first.text : ""
}

/** The structuredContent of a call that must succeed, checked against its text copy. */
export const structuredOf = <T = Structured>(name: string, result: CallToolResult): T => {
  if (result.isError === true) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`)
  const structured = result.structuredContent
  if (structured === undefined) throw new Error(`${name} returned no structuredContent`)
  const text = result.content[0]
  if (text?.type !== "text" || JSON.stringify(JSON.parse(text.text)) !== JSON.stringify(structured)) {
    throw new Error(`${name}: the text content is not the structuredContent as JSON`)
  }
  return structured as T
}

/** The message of a call that must fail with a tool error: its text items, one a line. */
export const errorTextOf = (name: string, result: CallToolResult): string => {
  if (result.isError !== true) throw new Error(`${name} should have failed, got ${JSON.stringify(result.structuredContent)}`)
  const texts = result.content.flatMap((item) => (item.type === "text" ? [item.text] : []))
  if (texts.length === 0) throw new Error(`${name}: the error has no text`)
  return texts.join("\n")
}

/** A notice as a result carries it. */
export interface Notice {
  readonly job_id: string
  readonly command: string
  readonly status: string
  readonly exit_code: number | null
  readonly signal: string | null
  readonly ended: string
}

const NOTICES_TEXT = /^Jobs that ended since your last call(?: \(and \d+ earlier, not listed\))?: (\[.*\])$/s

/** The notices a result carries: in its structured content, or (an error) in a text block of their own. */
export const noticesOf = (result: CallToolResult): ReadonlyArray<Notice> => {
  const structured = result.structuredContent?.["notices"]
  if (Array.isArray(structured)) return structured as ReadonlyArray<Notice>
  const block = result.content.flatMap((item) => (item.type === "text" ? [NOTICES_TEXT.exec(item.text)] : [])).find((match) => match !== null)
  return block === undefined || block === null ? [] : JSON.parse(block[1]!) as ReadonlyArray<Notice>
}
