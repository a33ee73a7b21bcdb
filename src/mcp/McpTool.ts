/**
 * An MCP tool defined with Effect Schema: its input and output schemas give the JSON Schemas the client
 * sees, the input is decoded before the handler runs, and failures become tool errors with their message.
 *
 * @since 0.1.0
 */
import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * What a handler gets besides its input: the request's progress reporter (a no-op when the client gave no
 * progress token).
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolContext {
  readonly progress: (progress: number, message?: string) => Effect.Effect<void>
  readonly hasProgressToken: boolean
}

/**
 * An error a handler reports to the agent: a sentence that says what happened and what to do.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolFailure {
  readonly message: string
}

/**
 * One tool.
 *
 * @since 0.1.0
 * @category models
 */
export interface McpTool<In extends Schema.Schema.AnyNoContext, Out extends Schema.Schema.AnyNoContext, R> {
  readonly name: string
  readonly title?: string | undefined
  readonly description: string
  readonly input: In
  readonly output: Out
  readonly annotations?: ToolAnnotations | undefined
  readonly handler: (input: Schema.Schema.Type<In>, context: ToolContext) => Effect.Effect<Schema.Schema.Type<Out>, ToolFailure, R>
}

/**
 * A tool of any input and output, needing services `R`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any<R> {
  readonly name: string
  readonly definition: Tool
  readonly call: (args: unknown, context: ToolContext) => Effect.Effect<CallToolResult, never, R>
}

/** `anyOf` of plain types (`number` or `null`) as one `type` list: the same schema, shorter. */
const mergeTypeUnion = (json: Record<string, unknown>): Record<string, unknown> => {
  const members = json["anyOf"]
  if (!Array.isArray(members)) return json
  const types = members.map((member) =>
    member !== null && typeof member === "object" && Object.keys(member).length === 1 && typeof (member as { type?: unknown }).type === "string" ?
      (member as { type: string }).type :
      undefined
  )
  if (types.some((type) => type === undefined)) return json
  const { anyOf: _, ...rest } = json
  return { ...rest, type: types }
}

/** What says nothing the rest of a schema does not: a number's title repeats its bounds; an empty list or map. */
const isNoise = (key: string, value: unknown): boolean =>
  key === "title" ||
  ((key === "required" && Array.isArray(value) && value.length === 0) ||
    (key === "properties" && value !== null && typeof value === "object" && Object.keys(value).length === 0))

/** Removes noise everywhere in a JSON Schema (property names are kept, whatever they are called). */
const withoutNoise = (json: unknown, isPropertyMap = false): unknown => {
  if (Array.isArray(json)) return json.map((item) => withoutNoise(item))
  if (json === null || typeof json !== "object") return json
  const entries = Object.entries(json)
    .filter(([key, value]) => isPropertyMap || !isNoise(key, value))
    .map(([key, value]) => [key, withoutNoise(value, !isPropertyMap && key === "properties")])
  const object = Object.fromEntries(entries)
  return isPropertyMap ? object : mergeTypeUnion(object)
}

/**
 * A tool's input schema: an inline object (a top-level `$ref` is rejected by MCP clients). Every byte of it is
 * in every agent's context, so what repeats the rest is left out.
 */
const toJsonSchema = (schema: Schema.Schema.Any): { type: "object"; [key: string]: unknown } => {
  const json = JSONSchema.fromAST(schema.ast, { definitions: {}, topLevelReferenceStrategy: "skip" })
  return { ...(withoutNoise(json) as object), type: "object" }
}

const formatParseError = (tool: string, known: ReadonlyArray<string>, error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const lines = issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "arguments"
    // An argument the tool does not have is a typo more often than not (timeout for timeout_s).
    return issue._tag === "Unexpected" && issue.path.length === 1 ?
      `${where}: not an argument of ${tool} (its arguments: ${known.join(", ")})` :
      `${where}: ${issue.message}`
  })
  return `Invalid arguments for ${tool}: ${lines.join("; ")}. Check the tool's input schema.`
}

/**
 * The result an agent sees for a value: structured content plus the same JSON as text.
 *
 * @since 0.1.0
 * @category results
 */
export const success = (value: object): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(value) }],
  structuredContent: value as Record<string, unknown>
})

/**
 * The result an agent sees for a failure.
 *
 * @since 0.1.0
 * @category results
 */
export const failure = (message: string): CallToolResult => ({
  content: [{ type: "text", text: message }],
  isError: true
})

/**
 * Defines a tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <In extends Schema.Schema.AnyNoContext, Out extends Schema.Schema.AnyNoContext, R>(
  tool: McpTool<In, Out, R>
): Any<R> => {
  // Parsers compiled on the first call, like the definition on the first listing: start-up pays for neither.
  const makeParsers = () => ({
    decode: Schema.decodeUnknown(tool.input, { errors: "all", onExcessProperty: "error" }),
    encode: Schema.encode(tool.output)
  })
  let parsers: ReturnType<typeof makeParsers> | undefined
  const parsersOf = () => parsers ??= makeParsers()
  // Built when first asked for (tools/list), not at start-up: deriving JSON Schemas costs before `initialize`.
  let definition: Tool | undefined
  const definitionOf = (): Tool =>
    definition ??= {
      name: tool.name,
      description: tool.description,
      // No output schema: agents do not read it, and it would double what every agent's context pays for the
      // tools. The result's fields are the wire schemas' (mcp/wire.ts), which the command-line client decodes.
      inputSchema: toJsonSchema(tool.input),
      ...(tool.title === undefined ? {} : { title: tool.title }),
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations })
    }
  return {
    name: tool.name,
    get definition() {
      return definitionOf()
    },
    call: (args, context) =>
      parsersOf().decode(args ?? {}).pipe(
        Effect.mapError((error) => ({ message: formatParseError(tool.name, Object.keys(definitionOf().inputSchema.properties ?? {}), error) })),
        Effect.flatMap((input) => tool.handler(input, context)),
        Effect.flatMap((output) =>
          parsersOf().encode(output).pipe(
            Effect.orDie,
            Effect.map((encoded) => success(encoded as object))
          )
        ),
        Effect.catchAll((error) => Effect.succeed(failure(error.message))),
        Effect.catchAllDefect((defect) =>
          Effect.logError("tool failed unexpectedly", Cause.die(defect)).pipe(
            Effect.annotateLogs("tool", tool.name),
            Effect.as(failure(`Internal error in ${tool.name}: ${String(defect)}. The server keeps running; please report this.`))
          )
        )
      )
  }
}

/**
 * An optional argument with its description (absent is allowed, an explicit `undefined` is not needed).
 *
 * @since 0.1.0
 * @category arguments
 */
export const optional = <S extends Schema.Schema.AnyNoContext>(schema: S, description: string) =>
  Schema.optionalWith(schema, { exact: true }).annotations({ description })

const actualOf = (issue: ParseResult.ParseIssue): string => JSON.stringify("actual" in issue ? issue.actual : undefined)

/**
 * A number within bounds, with an error message an agent can act on.
 *
 * @since 0.1.0
 * @category arguments
 */
export const numberBetween = (min: number, max: number, unit: string) =>
  Schema.Number.pipe(
    Schema.between(min, max, {
      message: (issue) => `expected ${unit} from ${min} to ${max}, got ${actualOf(issue)}`,
      title: `${unit} (${min}-${max})`
    })
  )

/**
 * A whole number within bounds, with an error message an agent can act on.
 *
 * @since 0.1.0
 * @category arguments
 */
export const intBetween = (min: number, max: number, unit: string) =>
  Schema.Number.pipe(
    Schema.int({ message: (issue) => `expected a whole number of ${unit}, got ${actualOf(issue)}` }),
    Schema.between(min, max, {
      message: (issue) => `expected ${unit} from ${min} to ${max}, got ${actualOf(issue)}`,
      title: `${unit} (${min}-${max})`
    })
  )
