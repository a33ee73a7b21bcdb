/**
 * The command policy compiled from its options once: the allow and deny patterns anchored at the start, what
 * each allow pattern spells, and the variable-name patterns. The rules read it; nothing here parses.
 *
 * @since 0.1.0
 */
import { HOOK_VARIABLES, namePatterns, type NamePatterns } from "./NamePattern.js"

/**
 * What the policy is built from (the relevant part of `JobConfig`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandPolicyOptions {
  /** When non-empty, every simple command must match one (from its start). */
  readonly allowedCommands: ReadonlyArray<RegExp>
  /** A simple command matching one (from its start) is refused, with or without an allowlist. */
  readonly deniedCommands: ReadonlyArray<RegExp>
  /** Hook variables (see `HOOK_VARIABLES`) a job may set anyway: names or globs. */
  readonly allowedEnv: ReadonlyArray<string>
}

/**
 * One allowed pattern, compiled.
 *
 * @since 0.1.0
 * @category models
 */
export interface AllowPattern {
  /** As configured. */
  readonly pattern: RegExp
  /** Matching from the start of the text. */
  readonly anchored: RegExp
  /** What the pattern spells literally: a construct, wrapper or variable it spells is allowed explicitly. */
  readonly spelled: string
  /** The pattern forced to cover at least the first N characters, by N: filled as commands are checked. */
  readonly covering: Map<number, RegExp>
}

/**
 * The policy as the rules read it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompiledPolicy {
  readonly allow: ReadonlyArray<AllowPattern>
  /** The denied patterns, matching from the start of the text. */
  readonly deny: ReadonlyArray<RegExp>
  /** Hook variables a job may set anyway (`MCP_BG_ALLOWED_ENV`). */
  readonly allowedEnv: NamePatterns
  /** Variables that make programs load or run other code (`HOOK_VARIABLES`). */
  readonly hooks: NamePatterns
  /** Whether any command list is set; otherwise only empty commands are refused, and nothing is parsed. */
  readonly active: boolean
}

/**
 * A pattern's source with regex escapes of punctuation removed: what it spells literally.
 *
 * @since 0.1.0
 * @category compiling
 */
export const spelled = (pattern: RegExp): string => pattern.source.replace(/\\([^A-Za-z0-9])/g, "$1")

/** Without `g` and `y`, whose `lastIndex` would make `test` depend on the previous call. */
const stateless = (flags: string): string => flags.replace(/[gy]/g, "")

/**
 * The pattern, matching from the start of the text only.
 *
 * @since 0.1.0
 * @category compiling
 */
export const anchored = (pattern: RegExp): RegExp => new RegExp(`^(?:${pattern.source})`, stateless(pattern.flags))

/**
 * Compiles the options.
 *
 * @since 0.1.0
 * @category compiling
 */
export const compile = (options: CommandPolicyOptions): CompiledPolicy => ({
  allow: options.allowedCommands.map((pattern) => ({ pattern, anchored: anchored(pattern), spelled: spelled(pattern), covering: new Map() })),
  deny: options.deniedCommands.map(anchored),
  allowedEnv: namePatterns(options.allowedEnv),
  hooks: namePatterns(HOOK_VARIABLES),
  active: options.allowedCommands.length > 0 || options.deniedCommands.length > 0
})

/**
 * The allowed pattern, forced to match at least the first `length` characters (so the whole command name:
 * `^ls` must not allow `lsof`). Compiled once per pattern and length.
 *
 * @since 0.1.0
 * @category compiling
 */
export const coveringPattern = (allow: AllowPattern, length: number): RegExp => {
  let compiled = allow.covering.get(length)
  if (compiled === undefined) {
    compiled = new RegExp(`^(?:${allow.pattern.source})(?<=^[\\s\\S]{${length},})`, stateless(allow.pattern.flags))
    allow.covering.set(length, compiled)
  }
  return compiled
}

/**
 * What the allowed patterns that match a unit spell: what they allow explicitly in it. Empty when there is
 * no allowlist, or none matches.
 *
 * @since 0.1.0
 * @category models
 */
export type Allowance = ReadonlyArray<string>

/**
 * Whether a pattern that allows the unit spells the marker (`$(`, `nohup`, `PATH`, `>`, …).
 *
 * @since 0.1.0
 * @category predicates
 */
export const spells = (allowance: Allowance, marker: string): boolean => allowance.some((source) => source.includes(marker))

/**
 * Whether a job may not set the variable: a hook variable that `MCP_BG_ALLOWED_ENV` does not list.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isProtected = (policy: CompiledPolicy, name: string): boolean => policy.hooks.matches(name) && !policy.allowedEnv.matches(name)
