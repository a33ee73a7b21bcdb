/**
 * The rules on which commands run: the allowlist (every simple command matches a pattern, its name written
 * literally, no wrapper the pattern does not spell) and the deny list (no simple command matches one, nor any
 * command a wrapper runs that its words show).
 *
 * @since 0.1.0
 */
import type { ShellUnit, ShellWord } from "../../shell/ShellSyntax.js"
import { type Allowance, type CompiledPolicy, coveringPattern, spells } from "../CompiledPolicy.js"
import { Refusal } from "../Refusal.js"
import { type WrappedCommand, wrapperUse } from "../Wrappers.js"

/**
 * How deep `sh -c '…'`, `eval '…'` and the like are followed before the policy gives up (and refuses).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_CODE_DEPTH = 4

/**
 * What the allowed patterns matching the unit spell. A simple command's pattern must cover its whole name;
 * a statement's need only match from its start.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const allowanceOf = (policy: CompiledPolicy, unit: ShellUnit): Allowance =>
  policy.allow.filter((allow) =>
    unit.kind === "command" ? coveringPattern(allow, unit.nameEnd).test(unit.text) : allow.anchored.test(unit.text)
  ).map((allow) => allow.spelled)

/**
 * Refuses a simple command that no allowed pattern matches.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const notAllowed = (policy: CompiledPolicy, unit: ShellUnit, allowance: Allowance): Refusal | undefined =>
  unit.kind === "command" && allowance.length === 0 ?
    new Refusal(
      "not-allowed",
      unit.text,
      `it matches none of the allowed patterns (MCP_BG_ALLOWED_COMMANDS: ${
        policy.allow.map((allow) => allow.pattern.source).join(", ")
      }); each simple command must match one from its start. Run only allowed commands.`
    ) :
    undefined

/**
 * Refuses a command name known only at run time (`$cmd`, `$(…)`), unless the allowing pattern spells it.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const dynamicName = (unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  const name = unit.kind === "command" ? unit.words[0] : undefined
  return name !== undefined && name.literal === undefined && !spells(allowance, name.text) ?
    new Refusal("dynamic-command", unit.text, `its command name ${name.text} is only known at run time. Write the command name literally.`) :
    undefined
}

/**
 * Refuses a wrapper (`nohup`, `sh -c`, `find -exec`, …) whose marker the allowing pattern does not spell:
 * the command it runs is not what the pattern matched.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const unspelledWrapper = (unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  const wrapper = unit.kind === "command" && unit.words.length > 0 ? wrapperUse(unit.words) : undefined
  return wrapper !== undefined && !spells(allowance, wrapper.marker) ?
    new Refusal(
      "wrapper",
      unit.text,
      `${wrapper.name} runs another command (or code) that the allowlist does not see, and no allowed pattern spells ${
        JSON.stringify(wrapper.marker)
      }. Run the inner command directly.`
    ) :
    undefined
}

/**
 * Checks shell code that a wrapper runs (`sh -c '…'`, `eval '…'`) as a script of its own, `depth` levels
 * down; `text` is the simple command that runs it.
 *
 * @since 0.1.0
 * @category deny list
 */
export type CodeCheck = (
  source: string,
  from: { readonly wrapper: string; readonly text: string; readonly depth: number }
) => Refusal | undefined

/**
 * The deny list, for a simple command: refuses it when it matches a denied pattern (as written, unquoted,
 * without the path of its name), when a command its wrappers run does, and when its name or code is only
 * known at run time (the list cannot be checked).
 *
 * @since 0.1.0
 * @category deny list
 */
export const denied = (policy: CompiledPolicy, unit: ShellUnit, depth: number, checkCode: CodeCheck): Refusal | undefined =>
  policy.deny.length > 0 && unit.kind === "command" ? deniedWords(policy, unit.words, unit.text, depth, checkCode) : undefined

const matchesDenied = (policy: CompiledPolicy, texts: ReadonlyArray<string>): boolean =>
  texts.some((text) => policy.deny.some((pattern) => pattern.test(text)))

const deniedWords = (
  policy: CompiledPolicy,
  words: ReadonlyArray<ShellWord>,
  text: string,
  depth: number,
  checkCode: CodeCheck
): Refusal | undefined => {
  const name = words[0]
  if (name === undefined) return matchesDenied(policy, [text]) ? new Refusal("denied", text, "it matches MCP_BG_DENIED_COMMANDS.") : undefined
  if (name.literal === undefined) {
    return new Refusal(
      "dynamic-command",
      text,
      `its command name ${name.text} is only known at run time, so the deny list cannot be checked. Write the command name literally.`
    )
  }
  const plain = words.map((w) => w.literal ?? w.text)
  const base = name.literal.slice(name.literal.lastIndexOf("/") + 1)
  // With a trailing space too: xargs, find -exec and the like append arguments at run time.
  const normal = plain.join(" ")
  const based = [base, ...plain.slice(1)].join(" ")
  if (matchesDenied(policy, [text, normal, based, `${normal} `, `${based} `])) {
    return new Refusal("denied", text, "it matches a denied pattern (MCP_BG_DENIED_COMMANDS). Do not run it.")
  }
  const wrapper = wrapperUse(words)
  for (const inner of wrapper?.runs ?? []) {
    const refusal = deniedWrapped(policy, inner, wrapper!.name, text, depth, checkCode)
    if (refusal !== undefined) return refusal
  }
  return undefined
}

const deniedWrapped = (
  policy: CompiledPolicy,
  inner: WrappedCommand,
  wrapper: string,
  text: string,
  depth: number,
  checkCode: CodeCheck
): Refusal | undefined => {
  switch (inner._tag) {
    case "Argv":
      return inner.words.length === 0 ? undefined : deniedWords(policy, inner.words, text, depth, checkCode)
    case "Unseen":
      return undefined
    case "Code": {
      if (inner.source === undefined) {
        return new Refusal(
          "dynamic-command",
          text,
          `${wrapper} runs shell code that is only known at run time, so the deny list cannot be checked. Pass the code literally.`
        )
      }
      if (depth >= MAX_CODE_DEPTH) {
        return new Refusal("dynamic-command", text, `it nests shell code (${wrapper}) more than ${MAX_CODE_DEPTH} levels deep.`)
      }
      return checkCode(inner.source, { wrapper, text, depth: depth + 1 })
    }
  }
}
