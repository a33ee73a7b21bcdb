/**
 * The `ShellParser` service: parses a shell command into a `ShellScript`. The live parser is tree-sitter-bash
 * on web-tree-sitter (WebAssembly): loading it takes tens of milliseconds and happens once; each parse after
 * that is synchronous and takes well under a millisecond for a typical command.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { createRequire } from "node:module"
import type { Parser } from "web-tree-sitter"
import { describeSyntaxError, toShellScript } from "./internal/bashTree.js"
import { type ShellScript, ShellSyntaxError } from "./ShellSyntax.js"

/**
 * The parser's WebAssembly could not be loaded (a broken installation).
 *
 * @since 0.1.0
 * @category errors
 */
export class ShellParserUnavailable extends Data.TaggedError("ShellParserUnavailable")<{ readonly reason: string }> {
  override get message(): string {
    return `The shell parser could not be loaded: ${this.reason}. Reinstall the package (web-tree-sitter and tree-sitter-bash must be installed).`
  }
}

/**
 * Parses shell commands.
 *
 * @since 0.1.0
 * @category services
 */
export class ShellParser extends Context.Tag("mcp-background-job/ShellParser")<
  ShellParser,
  {
    /** Parses one command; a command that is not valid shell syntax is a `ShellSyntaxError`. */
    readonly parse: (source: string) => Either.Either<ShellScript, ShellSyntaxError>
  }
>() {
  /**
   * The tree-sitter parser, loaded when the layer is built and freed when its scope closes.
   *
   * @since 0.1.0
   * @category layers
   */
  static get layer(): Layer.Layer<ShellParser, ShellParserUnavailable> {
    return Layer.scoped(
      ShellParser,
      Effect.acquireRelease(loadParser, (parser) => Effect.sync(() => parser.delete())).pipe(Effect.map(serviceOf))
    )
  }

  /**
   * One parser for the whole process, loaded on first use and kept: what the job runtime uses when no
   * `ShellParser` is provided.
   *
   * @since 0.1.0
   * @category constructors
   */
  static get shared(): Effect.Effect<ShellParser["Type"], ShellParserUnavailable> {
    return sharedParser
  }
}

const loadParser: Effect.Effect<Parser, ShellParserUnavailable> = Effect.tryPromise({
  try: async () => {
    // Loaded on first use: a server without a command list never pays for the parser.
    const { Language, Parser } = await import("web-tree-sitter")
    const require = createRequire(import.meta.url)
    // Located through the package, not next to the calling script: the bin is bundled into one file.
    await Parser.init({ locateFile: () => require.resolve("web-tree-sitter/web-tree-sitter.wasm") })
    const wasm = require.resolve("tree-sitter-bash/tree-sitter-bash.wasm")
    const language = await Language.load(wasm)
    const parser = new Parser()
    parser.setLanguage(language)
    return parser
  },
  catch: (error) => new ShellParserUnavailable({ reason: String(error) })
})

const serviceOf = (parser: Parser): ShellParser["Type"] =>
  ShellParser.of({
    parse: (source) => {
      const tree = parser.parse(source)
      if (tree === null) return Either.left(new ShellSyntaxError({ message: "the parser returned no tree" }))
      try {
        const root = tree.rootNode
        if (root.hasError) return Either.left(new ShellSyntaxError({ message: describeSyntaxError(root) }))
        return Either.right(toShellScript(root, source))
      } finally {
        // The tree lives in WebAssembly memory, which the garbage collector does not free.
        tree.delete()
      }
    }
  })

/** Loaded at most once per process; a failure is kept too (a missing file does not come back). */
let sharedParserCache: Effect.Effect<ShellParser["Type"], ShellParserUnavailable> | undefined
const sharedParser: Effect.Effect<ShellParser["Type"], ShellParserUnavailable> = Effect.suspend(() => {
  sharedParserCache ??= Effect.runSync(Effect.cached(Effect.map(loadParser, serviceOf)))
  return sharedParserCache
})
