/**
 * How notices ride on tool results, for every tool (ours and an application's): `notices` (and
 * `notices_omitted`) in the structured content and its JSON text, declared in each output schema so that
 * clients that validate results accept them; on an error, or a result without structured content, a text
 * block of their own.
 *
 * @since 0.1.0
 */
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js"
import * as Schema from "effect/Schema"
import type { TakenNotices } from "./SessionNotices.js"
import * as Wire from "./wire.js"

/**
 * How the text block of notices starts.
 *
 * @since 0.1.0
 * @category constants
 */
export const NOTICES_HEADING = "Jobs that ended since your last call"

const encodeNotices = Schema.encodeSync(Wire.ResultNotices)

/** The JSON fields the notices add to a result. */
const fieldsOf = (taken: TakenNotices): Record<string, unknown> =>
  encodeNotices({ notices: taken.notices, ...(taken.omitted > 0 ? { noticesOmitted: taken.omitted } : {}) })

const noticesText = (taken: TakenNotices): { readonly type: "text"; readonly text: string } => {
  const more = taken.omitted > 0 ? ` (and ${taken.omitted} earlier, not listed)` : ""
  return { type: "text", text: `${NOTICES_HEADING}${more}: ${JSON.stringify(fieldsOf(taken)["notices"])}` }
}

/**
 * `result` with `taken` added: into the structured content and the text block that is its JSON copy, or
 * as a text block of its own on an error (which has no structured content) and wherever there is no copy.
 *
 * @since 0.1.0
 * @category results
 */
export const withNotices = (result: CallToolResult, taken: TakenNotices | undefined): CallToolResult => {
  if (taken === undefined) return result
  const structured = result.structuredContent
  if (result.isError === true || structured === undefined) return { ...result, content: [...result.content, noticesText(taken)] }
  const copy = JSON.stringify(structured)
  const withFields = { ...structured, ...fieldsOf(taken) }
  const index = result.content.findIndex((block) => block.type === "text" && block.text === copy)
  const content = index < 0 ?
    [...result.content, noticesText(taken)] :
    result.content.map((block, i) => (i === index ? { type: "text" as const, text: JSON.stringify(withFields) } : block))
  return { ...result, structuredContent: withFields, content }
}

type JsonObject = { readonly [key: string]: unknown }

/**
 * Declared loosely, as an array of objects: every tool's schema carries it, and the instructions already
 * say what a notice holds, so spelling out its fields nine times would cost every agent's context ~8 KB.
 */
const noticeProperties: JsonObject = {
  notices: { type: "array", items: { type: "object" } },
  notices_omitted: { type: "integer" }
}

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/** An object schema with the notice properties added (to each alternative of a union). */
const declareIn = (schema: JsonObject): JsonObject => {
  const alternatives = (key: "anyOf" | "oneOf") => {
    const branches = schema[key]
    return Array.isArray(branches) ? { [key]: branches.map((branch) => (isObject(branch) ? declareIn(branch) : branch)) } : {}
  }
  const properties = schema["properties"]
  return {
    ...schema,
    ...(isObject(properties) ? { properties: { ...properties, ...noticeProperties } } : {}),
    ...alternatives("anyOf"),
    ...alternatives("oneOf")
  }
}

/**
 * `tool` with `notices` and `notices_omitted` declared as optional in its output schema (a tool without
 * one is left as it is: its results are not validated).
 *
 * @since 0.1.0
 * @category schemas
 */
export const declareNotices = (tool: Tool): Tool =>
  tool.outputSchema === undefined ? tool : { ...tool, outputSchema: declareIn(tool.outputSchema) as Tool["outputSchema"] & object }
