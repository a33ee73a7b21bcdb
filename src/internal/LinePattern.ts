/**
 * A compiled line pattern: what `until` and `filter` test each line of output against.
 *
 * Agent-supplied patterns run on RE2 semantics (re2js), in time linear in the line: a JavaScript regular
 * expression such as `^(a+)+$` backtracks for minutes on one line and blocks the event loop, so every call
 * and every job's pipes stall. re2js is a pure JavaScript port of RE2 (no WebAssembly to load, no native
 * build): measured here, `^(a+)+$` against a 50 KB `a…ab` line takes 17–25 ms cold and about 6 ms warm,
 * compile included. What RE2 cannot run in linear time (backreferences, lookaround, possessive quantifiers,
 * atomic groups) is refused with an `InvalidArgument` that names the construct and says what to write
 * instead. (re2js can run captureless lookbehinds behind a flag; it stays off so that the rule an agent
 * reads is simply "no lookaround".)
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { RE2JS, RE2JSException, RE2JSSyntaxException } from "re2js"
import { InvalidArgument } from "../domain/errors.js"

/**
 * A pattern that says whether one line of output matches it (anywhere in the line; `^` and `$` are the
 * line's start and end). Structural, so that a library caller's own `RegExp` can stand behind one.
 *
 * @since 0.1.0
 * @category models
 */
export interface LinePattern {
  /** The pattern as the caller wrote it. */
  readonly source: string
  readonly test: (line: string) => boolean
}

/** Compiling costs time in the pattern's length too; no line worth finding needs a longer one. */
const MAX_PATTERN_LENGTH = 4096

/**
 * Compiles a caller's pattern for `argument` (`until`, `filter`). A string always runs on the linear-time
 * engine: JavaScript syntax it shares with RE2 works as written (`(?i)`, `\d \w \s \b`, classes, `|`,
 * `^ $`, named groups, `\/`), and `\uXXXX`, `\u{X…}` and `\cX` are translated; anything else RE2 cannot
 * run is an `InvalidArgument` naming the construct. A `RegExp` comes only from a library caller's own code
 * (the MCP tools pass strings): it is trusted and runs on the JavaScript engine, as written (without its
 * `g` and `y` flags, which would make a test depend on the previous one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileLinePattern = (argument: string, pattern: string | RegExp): Either.Either<LinePattern, InvalidArgument> => {
  if (typeof pattern !== "string") {
    const own = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""))
    return Either.right({ source: pattern.source, test: (line) => own.test(line) })
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return Either.left(
      new InvalidArgument({
        argument,
        reason: `the pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}. Match a shorter, distinctive part of the line.`
      })
    )
  }
  return Either.try({
    try: (): LinePattern => {
      const compiled = RE2JS.compile(translateJavaScriptEscapes(pattern))
      return { source: pattern, test: (line) => compiled.test(line) }
    },
    catch: (error) => new InvalidArgument({ argument, reason: rejection(pattern, error) })
  })
}

const isHex = (text: string): boolean => /^[0-9a-fA-F]+$/.test(text)
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * Rewrites the JavaScript escapes RE2 lacks into RE2's `\x{…}`: `\uXXXX` (a surrogate pair as one code
 * point), `\u{X…}` and `\cX`. Everything else, `\Q…\E` quoted text included, is left as written.
 */
const translateJavaScriptEscapes = (pattern: string): string => {
  if (!/\\[uc]/.test(pattern)) return pattern
  let out = ""
  let at = 0
  const codeUnitAt = (index: number): number | undefined => {
    const digits = pattern.slice(index + 2, index + 6)
    return pattern[index] === "\\" && pattern[index + 1] === "u" && digits.length === 4 && isHex(digits) ?
      parseInt(digits, 16) :
      undefined
  }
  while (at < pattern.length) {
    const char = pattern[at]!
    if (char !== "\\" || at + 1 >= pattern.length) {
      out += char
      at++
      continue
    }
    const next = pattern[at + 1]!
    if (next === "Q") {
      const end = pattern.indexOf("\\E", at + 2)
      const stop = end < 0 ? pattern.length : end + 2
      out += pattern.slice(at, stop)
      at = stop
      continue
    }
    if (next === "u") {
      const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(pattern.slice(at + 2, at + 10))
      if (braced !== null) {
        out += `\\x{${braced[1]}}`
        at += 2 + braced[0].length
        continue
      }
      const high = codeUnitAt(at)
      if (high !== undefined) {
        const low = isHighSurrogate(high) ? codeUnitAt(at + 6) : undefined
        if (low !== undefined && isLowSurrogate(low)) {
          out += `\\x{${(((high - 0xd800) << 10) + (low - 0xdc00) + 0x10000).toString(16)}}`
          at += 12
        } else {
          out += `\\x{${high.toString(16)}}`
          at += 6
        }
        continue
      }
    }
    if (next === "c" && /^[A-Za-z]$/.test(pattern[at + 2] ?? "")) {
      out += `\\x{${(pattern.charCodeAt(at + 2) % 32).toString(16)}}`
      at += 3
      continue
    }
    out += char + next
    at += 2
  }
  return out
}

/** `{3,1}`: RE2 reports a minimum above the maximum as it does a count too large. */
const isReversedRange = (piece: string): boolean => {
  const bounds = /^\{(\d+),(\d+)\}$/.exec(piece)
  return bounds !== null && Number(bounds[1]) > Number(bounds[2])
}

const ENGINE = "the linear-time pattern engine (RE2)"

/** A sentence for a pattern RE2 refused: the construct by name and what to write instead. */
const rejection = (pattern: string, error: unknown): string => {
  const quoted = JSON.stringify(pattern)
  const unsupported = (construct: string, advice: string) => `${quoted} uses ${construct}, which ${ENGINE} does not support; ${advice}.`
  if (!(error instanceof RE2JSSyntaxException)) {
    const detail = error instanceof RE2JSException || error instanceof Error ? error.message : String(error)
    return `${quoted} cannot be compiled (${detail}).`
  }
  const code = error.error
  const piece = error.input ?? ""
  const surrounding = "match the surrounding text itself instead"
  if (code === "invalid escape sequence") {
    if (/^\\[1-9]/.test(piece)) return unsupported(`a backreference (${piece})`, "match the text itself instead")
    if (piece === "\\k") return unsupported("a named backreference (\\k<name>)", "match the text itself instead")
    if (piece === "\\Z") return unsupported("\\Z", "use $ for the end of the line (each line is matched on its own)")
    if (piece === "\\b") return unsupported("\\b inside a character class", "write \\x08 for a backspace, or move \\b out of the class for a word boundary")
    if (piece === "\\e") return unsupported("the escape \\e", "write \\x1b")
    return unsupported(`the escape ${piece}`, "write the character itself (escaped with \\ if it is special) or a class such as [0-9]")
  }
  if (code === "invalid or unsupported Perl syntax") {
    if (piece === "(?=") return unsupported("a lookahead ((?=…))", surrounding)
    if (piece === "(?!") return unsupported("a negative lookahead ((?!…))", `${surrounding}, or filter on what the line does contain`)
    if (piece === "(?>") return unsupported("an atomic group ((?>…))", "use a plain group (?:…): matching never backtracks anyway")
    if (piece === "(?#") return unsupported("a comment group ((?#…))", "leave the comment out")
    if (piece === "(?P" && pattern.includes("(?P=")) return unsupported("a named backreference ((?P=name))", "match the text itself instead")
    if (piece === "(?(") return unsupported("a conditional group ((?(…)…))", "use an alternation a|b instead")
    return unsupported(`the group syntax ${piece}`, "use (?:…) for a group, (?P<name>…) for a named one, and (?i) (?m) (?s) (?U) for flags")
  }
  if (code === "invalid named capture") {
    if (piece.startsWith("(?<=")) return unsupported("a lookbehind ((?<=…))", surrounding)
    if (piece.startsWith("(?<!")) return unsupported("a negative lookbehind ((?<!…))", `${surrounding}, or filter on what the line does contain`)
  }
  if (code === "invalid nested repetition operator" && piece.endsWith("+") && piece.length >= 2) {
    return unsupported(`a possessive quantifier (${piece})`, `drop the final +: matching never backtracks anyway`)
  }
  if (code === "invalid repeat count" && !isReversedRange(piece)) {
    return `${quoted} repeats too much at ${piece}: ${ENGINE} allows at most 1000 repetitions, nested counts multiplied. Use * or + instead of a large count.`
  }
  return `${quoted} is not a valid pattern (${code}${piece === "" ? "" : ` at ${piece}`}). Escape special characters such as ( [ + ? with a backslash.`
}
