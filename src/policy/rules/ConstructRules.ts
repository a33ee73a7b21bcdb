/**
 * The allowlist's rules on what a unit carries besides its words: constructs the policy cannot see through
 * (`$(…)`, `<(…)`, `$((…))`, `[[ … ]]`, function definitions, …) and redirections that write files or open
 * connections. Each is allowed when the pattern that allows the unit spells its marker.
 *
 * @since 0.1.0
 */
import type { ShellRedirect, ShellUnit } from "../../shell/ShellSyntax.js"
import { type Allowance, spells } from "../CompiledPolicy.js"
import { excerpt, Refusal, subjectOf } from "../Refusal.js"

/**
 * Refuses the first construct whose marker the allowing pattern does not spell.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const unspelledConstruct = (unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  const construct = unit.constructs.find((c) => !spells(allowance, c.marker))
  return construct === undefined ? undefined : new Refusal(
    construct.kind,
    unit.text,
    `it contains ${construct.kind.replaceAll("-", " ")} ${
      excerpt(construct.text)
    }, which the policy cannot see through. Run the inner command on its own, or ask the operator for a pattern that spells ${
      JSON.stringify(construct.marker)
    }.`,
    subjectOf(unit)
  )
}

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", "<>"])
const HARMLESS_TARGETS = /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/

/**
 * What a redirection does that the policy refuses (writes a file, opens a connection), with the marker that
 * allows it; `undefined` when it only reads, duplicates or closes descriptors, or writes to `/dev/null` and
 * the like.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const redirectProblem = (redirect: ShellRedirect): { readonly marker: string; readonly what: string } | undefined => {
  const target = redirect.target?.literal
  if (target !== undefined && /^\/dev\/(tcp|udp)\//.test(target)) {
    return { marker: target.slice(0, 8), what: `opens a network connection (${redirect.text})` }
  }
  const operator = redirect.operator
  if (WRITE_OPERATORS.has(operator)) {
    if (target === undefined) return { marker: ">", what: `writes to a file named only at run time (${redirect.text})` }
    return HARMLESS_TARGETS.test(target) ? undefined : { marker: ">", what: `writes to the file ${target} (${redirect.text})` }
  }
  if (operator.startsWith(">&") || operator.startsWith("<&")) {
    if (operator.length > 2 || target === undefined) return undefined
    // `>&file` (bash) writes to a file; `>&2`, `>&-` only duplicate or close descriptors.
    if (/^\d+-?$|^-$/.test(target)) return undefined
    return { marker: ">", what: `writes to the file ${target} (${redirect.text})` }
  }
  return undefined
}

/**
 * Refuses the first redirection with a problem whose marker the allowing pattern does not spell.
 *
 * @since 0.1.0
 * @category allowlist
 */
export const unspelledRedirect = (unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  for (const redirect of unit.redirects) {
    const problem = redirectProblem(redirect)
    if (problem !== undefined && !spells(allowance, problem.marker)) {
      return new Refusal(
        "redirect",
        unit.text,
        `it ${problem.what}. Drop the redirection (the job's output is kept for you) or redirect to /dev/null.`,
        subjectOf(unit)
      )
    }
  }
  return undefined
}
