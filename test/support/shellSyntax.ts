/**
 * Parsed commands written by hand, so that the rules are tested without the parser: a simple command's words
 * are its text split on spaces unless given.
 */
import type { CommandPolicyOptions } from "../../src/policy/CompiledPolicy.js"
import type { ShellConstruct, ShellRedirect, ShellUnit, ShellWord } from "../../src/shell/ShellSyntax.js"

/** A word whose value is its text, or the given value (after quote removal). */
export const word = (text: string, literal: string = text): ShellWord => ({ text, literal })

/** A word whose value is known only at run time (`$x`, `$(…)`, a glob). */
export const dynamic = (text: string): ShellWord => ({ text, literal: undefined })

/** A simple command. */
export const simple = (text: string, parts: Partial<Omit<ShellUnit, "kind" | "text">> = {}): ShellUnit => {
  const words = parts.words ?? text.split(" ").map((part) => word(part))
  return {
    kind: "command",
    text,
    assignments: [],
    words,
    nameEnd: parts.nameEnd ?? text.indexOf(words[0]?.text ?? "") + (words[0]?.text.length ?? 0),
    redirects: [],
    constructs: [],
    ...parts
  }
}

/** A compound statement that carries redirections or constructs of its own. */
export const statement = (text: string, parts: Partial<Omit<ShellUnit, "kind" | "text">> = {}): ShellUnit => ({
  kind: "statement",
  text,
  assignments: [],
  words: [],
  nameEnd: 0,
  redirects: [],
  constructs: [],
  ...parts
})

/** A redirection to a target (a word, or text that is its own value); none for here-documents. */
export const redirect = (operator: string, target?: ShellWord | string): ShellRedirect => {
  const targetWord = typeof target === "string" ? word(target) : target
  return { text: `${operator}${targetWord?.text ?? ""}`, operator, target: targetWord }
}

export const substitution = (text: string): ShellConstruct => ({ kind: "command-substitution", text, marker: text.startsWith("`") ? "`" : "$(" })

/** Policy options with empty lists unless given. */
export const options = (given: Partial<CommandPolicyOptions>): CommandPolicyOptions => ({
  allowedCommands: [],
  deniedCommands: [],
  allowedEnv: [],
  ...given
})
