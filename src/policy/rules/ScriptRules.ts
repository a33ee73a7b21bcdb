/**
 * The rules in the order a command meets them: the text (empty, control characters), the parse (syntax,
 * ambiguous syntax), then each unit of the script (the allowlist's rules, then those on variables and the
 * deny list), following the code that wrappers run into scripts of their own.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { ShellScript, ShellSyntaxError, ShellUnit } from "../../shell/ShellSyntax.js"
import type { CompiledPolicy } from "../CompiledPolicy.js"
import { Refusal } from "../Refusal.js"
import { allowanceOf, type CodeCheck, denied, dynamicName, notAllowed, unspelledWrapper } from "./CommandRules.js"
import { unspelledConstruct, unspelledRedirect } from "./ConstructRules.js"
import { namerefDeclaration, protectedAssignment } from "./VariableRules.js"

/**
 * Parses a shell command (the `ShellParser`'s `parse`).
 *
 * @since 0.1.0
 * @category models
 */
export type ParseShell = (source: string) => Either.Either<ShellScript, ShellSyntaxError>

/**
 * Refuses an empty or blank command.
 *
 * @since 0.1.0
 * @category text
 */
export const emptyCommand = (command: string): Refusal | undefined =>
  command.trim() === "" ? new Refusal("empty", "", "the command is empty. Pass a shell command such as `npm test`.") : undefined

/** Control characters other than tab and newline: a carriage return, escape or NUL hides text in logs and parsers. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/

/**
 * Refuses a command with a control character other than tab and newline.
 *
 * @since 0.1.0
 * @category text
 */
export const controlCharacter = (command: string): Refusal | undefined => {
  const control = CONTROL.exec(command)
  if (control === null) return undefined
  const code = control[0].charCodeAt(0).toString(16).padStart(2, "0")
  return new Refusal("control-character", "", `it contains the control character U+00${code.toUpperCase()}. Remove it (use plain newlines between commands).`)
}

/**
 * The rules for one unit, first refusal first: with an allowlist, its own rules (the unit must match a
 * pattern, and every construct, redirection, run-time name and wrapper in it must be spelled by one that
 * matches); always, the rules on variables and the deny list.
 *
 * @since 0.1.0
 * @category script
 */
export const unitRefusal = (
  policy: CompiledPolicy,
  unit: ShellUnit,
  options: { readonly withAllowlist: boolean; readonly depth: number; readonly checkCode: CodeCheck }
): Refusal | undefined => {
  const allowance = options.withAllowlist ? allowanceOf(policy, unit) : []
  const allowlisted = options.withAllowlist ?
    notAllowed(policy, unit, allowance) ?? unspelledConstruct(unit, allowance) ?? unspelledRedirect(unit, allowance) ??
      dynamicName(unit, allowance) ?? unspelledWrapper(unit, allowance) :
    undefined
  return allowlisted ?? protectedAssignment(policy, unit, allowance) ?? namerefDeclaration(unit, allowance) ??
    denied(policy, unit, options.depth, options.checkCode)
}

/**
 * The rules for a parsed script: refused when the parse is untrustworthy, or when a unit is. Code that
 * wrappers run is parsed and checked `depth + 1` down, without the allowlist (the wrapper was allowed by a
 * pattern that spells it), but with the rules on variables and the deny list.
 *
 * @since 0.1.0
 * @category script
 */
export const scriptRefusal = (
  policy: CompiledPolicy,
  parse: ParseShell,
  script: ShellScript,
  options: { readonly withAllowlist: boolean; readonly depth: number }
): Refusal | undefined => {
  const problem = script.problems[0]
  if (problem !== undefined) return new Refusal("ambiguous-syntax", "", `${problem}.`)
  const checkCode: CodeCheck = (source, from) =>
    Either.match(parse(source), {
      onLeft: (error) => new Refusal("syntax", from.text, `the code given to ${from.wrapper} does not parse: ${error.message}.`),
      onRight: (inner) => scriptRefusal(policy, parse, inner, { withAllowlist: false, depth: from.depth })
    })
  for (const unit of script.units) {
    const refusal = unitRefusal(policy, unit, { ...options, checkCode })
    if (refusal !== undefined) return refusal
  }
  return undefined
}

/**
 * Every rule for a command under an active policy; `undefined` when it may run.
 *
 * @since 0.1.0
 * @category script
 */
export const commandRefusal = (policy: CompiledPolicy, parse: ParseShell, command: string): Refusal | undefined =>
  emptyCommand(command) ?? controlCharacter(command) ?? Either.match(parse(command), {
    onLeft: (error) => new Refusal("syntax", "", `the shell parser could not parse it: ${error.message}. Fix the syntax.`),
    onRight: (script) => scriptRefusal(policy, parse, script, { withAllowlist: policy.allow.length > 0, depth: 0 })
  })
