/**
 * What the command policy knows about a shell command, independent of the parser that produced it: the
 * units the shell would run (simple commands, and statements that carry something the policy must rule on),
 * the constructs inside them, and problems that make the parse untrustworthy.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * One word as written, with its value after quote removal when that value is known before the shell runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellWord {
  /** The word as written, quotes included. */
  readonly text: string
  /** The value after quote removal; `undefined` when it depends on an expansion, a substitution or a glob. */
  readonly literal: string | undefined
}

/**
 * A redirection such as `> out.log`, `2>&1`, `< input` or a here-document.
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellRedirect {
  readonly text: string
  /** The operator: `>`, `>>`, `>|`, `&>`, `&>>`, `<`, `<>`, `>&`, `<&`, `<<`, `<<-`, `<<<`. */
  readonly operator: string
  /** The target word (a file, a descriptor number or `-`); absent for here-documents. */
  readonly target: ShellWord | undefined
}

/**
 * A variable assignment: `NAME=value` before a command or alone, or an argument of `export`, `declare`, ….
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellAssignment {
  readonly name: string
  readonly text: string
}

/**
 * Something inside a unit that the policy cannot see through by reading the words alone.
 *
 * - `command-substitution`: `$(…)` or backquotes; the inner commands are units of their own as well.
 * - `process-substitution`: `<(…)` or `>(…)`.
 * - `prompt-expansion`: `${var@P}`, which runs command substitutions found in the variable's value.
 * - `arithmetic`: `$((…))`, `$[…]`, `((…))` or `let` over variables (bash evaluates array subscripts in
 *   variable values, which can run commands).
 * - `test-expression`: `[[ … ]]` (its arithmetic operators evaluate variables the same way).
 * - `function-definition`: `name() { … }`; the body's commands are units of their own as well.
 *
 * @since 0.1.0
 * @category models
 */
export type ConstructKind =
  | "command-substitution"
  | "process-substitution"
  | "prompt-expansion"
  | "arithmetic"
  | "test-expression"
  | "function-definition"

/**
 * One construct, with the marker that a pattern must spell to allow it explicitly.
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellConstruct {
  readonly kind: ConstructKind
  /** The construct as written, e.g. `$(date)`. */
  readonly text: string
  /** What an allow pattern must contain to allow it: `$(`, `` ` ``, `<(`, `>(`, `@P`, `$((`, `((`, `[[`, `()`, …. */
  readonly marker: string
}

/**
 * A unit the shell runs and the policy rules on: a simple command (with `words`), an assignment-only
 * statement (no words), or a compound statement that carries redirections or constructs of its own
 * (`kind: "statement"`, e.g. `for f in $(ls); do …; done > out`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellUnit {
  readonly kind: "command" | "statement"
  /** The unit as written, with its assignments and redirections; line continuations removed. */
  readonly text: string
  readonly assignments: ReadonlyArray<ShellAssignment>
  /** The command name first, then its arguments; empty for assignments alone and for statements. */
  readonly words: ReadonlyArray<ShellWord>
  /** Offset in `text` just after the command name (0 when there is none). */
  readonly nameEnd: number
  readonly redirects: ReadonlyArray<ShellRedirect>
  readonly constructs: ReadonlyArray<ShellConstruct>
}

/**
 * A command, parsed: every unit at any depth (inside substitutions, function bodies, loops, …) in source order,
 * and the problems that make the parse untrustworthy (the policy refuses a command that has any).
 *
 * @since 0.1.0
 * @category models
 */
export interface ShellScript {
  readonly units: ReadonlyArray<ShellUnit>
  readonly problems: ReadonlyArray<string>
}

/**
 * The command is not valid shell syntax; `message` says where and near what.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShellSyntaxError extends Data.TaggedError("ShellSyntaxError")<{ readonly message: string }> {}
