/**
 * A refusal by the command policy: the rule, the part of the command it refused and why; and how it reaches
 * the agent (a `CommandRejected` whose reason names both) and the operator (an info log line).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { CommandRejected } from "../domain/errors.js"
import type { ConstructKind, ShellUnit } from "../shell/ShellSyntax.js"

/**
 * The rules a command can be refused by; each refusal names one.
 *
 * @since 0.1.0
 * @category models
 */
export type PolicyRule =
  | "empty"
  | "control-character"
  | "syntax"
  | "ambiguous-syntax"
  | "not-allowed"
  | "denied"
  | ConstructKind
  | "redirect"
  | "protected-variable"
  | "wrapper"
  | "dynamic-command"
  | "working-directory"

/**
 * What the refused text is, in the message to the agent.
 *
 * @since 0.1.0
 * @category models
 */
export type RefusedSubject = "simple command" | "statement" | "variable"

/**
 * One rule's verdict against a command.
 *
 * @since 0.1.0
 * @category models
 */
export class Refusal {
  constructor(
    readonly rule: PolicyRule,
    /** The simple command, statement or variable refused, as written; empty when the whole command is. */
    readonly refused: string,
    /** Why, and what to do instead: a sentence for the agent. */
    readonly reason: string,
    readonly subject: RefusedSubject = "simple command"
  ) {}
}

/**
 * How a unit is named in a refusal.
 *
 * @since 0.1.0
 * @category refusals
 */
export const subjectOf = (unit: ShellUnit): RefusedSubject => unit.kind === "command" ? "simple command" : "statement"

/** Longest excerpt of a command quoted in a refusal. */
const EXCERPT = 160

/**
 * A command's text on one line (newlines shown as ⏎), cut to a length fit for a message.
 *
 * @since 0.1.0
 * @category refusals
 */
export const excerpt = (text: string): string => {
  const oneLine = text.replace(/\s*\n\s*/g, " ⏎ ")
  return oneLine.length > EXCERPT ? `${oneLine.slice(0, EXCERPT)}…` : oneLine
}

/**
 * The error an agent gets for a refusal: the reason names the rule and the refused part.
 *
 * @since 0.1.0
 * @category refusals
 */
export const commandRejected = (command: string, refusal: Refusal): CommandRejected => {
  const subject = refusal.refused === "" ? "" : ` the ${refusal.subject} \`${excerpt(refusal.refused)}\``
  const reason = refusal.rule === "empty" ? refusal.reason : `refused by rule ${refusal.rule}:${subject}${subject === "" ? " " : ": "}${refusal.reason}`
  return new CommandRejected({
    command,
    reason,
    rule: refusal.rule,
    ...(refusal.refused === "" ? {} : { refused: refusal.refused })
  })
}

/**
 * Logs a refusal for the operator at info level (`command refused` with these annotations), then fails with
 * the agent's error.
 *
 * @since 0.1.0
 * @category refusals
 */
export const failLogged = (
  error: CommandRejected,
  logged: { readonly command: string; readonly rule: PolicyRule; readonly refused: string; readonly reason: string }
): Effect.Effect<never, CommandRejected> =>
  Effect.logInfo("command refused").pipe(
    Effect.annotateLogs({ command: logged.command, rule: logged.rule, refused: logged.refused, reason: logged.reason }),
    Effect.zipRight(Effect.fail(error))
  )
