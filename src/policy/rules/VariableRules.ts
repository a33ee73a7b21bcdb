/**
 * The rules on variables, which hold with or without an allowlist: a job may not set a hook variable
 * (`PATH`, `LD_PRELOAD`, `BASH_ENV`, …) that `MCP_BG_ALLOWED_ENV` does not list, neither in the command
 * (assignments, `export`, `read`, `printf -v`, `env NAME=…`, name references) nor in its own env.
 *
 * @since 0.1.0
 */
import type { ShellUnit } from "../../shell/ShellSyntax.js"
import { type Allowance, type CompiledPolicy, isProtected, spells } from "../CompiledPolicy.js"
import { Refusal, subjectOf } from "../Refusal.js"
import { wrapperUse } from "../Wrappers.js"

/** Builtins that assign to the variables named in their arguments, with their options that take a value. */
const ASSIGNING_BUILTINS: Readonly<Record<string, ReadonlyArray<string>>> = {
  read: ["-d", "-i", "-n", "-N", "-p", "-t", "-u"],
  getopts: [],
  mapfile: ["-d", "-n", "-O", "-s", "-u", "-C", "-c"],
  readarray: ["-d", "-n", "-O", "-s", "-u", "-C", "-c"]
}
const DECLARING_BUILTINS = new Set(["declare", "typeset", "local", "export", "readonly"])

/**
 * The names a unit assigns: prefix and standalone assignments, `read NAME`, `printf -v NAME`, `export NAME=…`,
 * and what a wrapper puts into its command's environment (`env NAME=…`).
 *
 * @since 0.1.0
 * @category variables
 */
export const assignedNames = (unit: ShellUnit): Array<string> => {
  const names = unit.assignments.map((a) => a.name)
  const words = unit.words.map((w) => w.literal)
  const name = words[0]
  if (name !== undefined) {
    const valueOptions = ASSIGNING_BUILTINS[name]
    if (valueOptions !== undefined) {
      for (let i = 1; i < words.length; i++) {
        const arg = words[i]
        if (arg === undefined) continue
        if (arg === "-a" && name === "read") {
          const target = words[i + 1]
          if (target !== undefined) names.push(target)
          i++
        } else if (valueOptions.includes(arg)) i++
        else if (!arg.startsWith("-")) names.push(arg)
      }
    }
    if (name === "printf") {
      const index = words.indexOf("-v")
      const target = index > 0 ? words[index + 1] : undefined
      if (target !== undefined) names.push(target.replace(/\[.*$/, ""))
    }
    if (DECLARING_BUILTINS.has(name)) {
      for (const arg of words.slice(1)) if (arg !== undefined && !arg.startsWith("-") && !arg.startsWith("+")) names.push(arg.replace(/=.*$/s, ""))
    }
  }
  const wrapper = unit.kind === "command" ? wrapperUse(unit.words) : undefined
  for (const assignment of wrapper?.assignments ?? []) names.push(assignment.slice(0, assignment.indexOf("=")))
  return names
}

/**
 * Refuses a unit that sets a protected variable, unless the allowing pattern spells its name.
 *
 * @since 0.1.0
 * @category variables
 */
export const protectedAssignment = (policy: CompiledPolicy, unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  const name = assignedNames(unit).find((name) => isProtected(policy, name) && !spells(allowance, name))
  return name === undefined ? undefined : new Refusal(
    "protected-variable",
    unit.text,
    `it sets ${name}, a variable that makes programs load or run other code. Leave it unset, or ask the operator to list it in MCP_BG_ALLOWED_ENV.`,
    subjectOf(unit)
  )
}

/**
 * Refuses a name reference (`declare -n r=PATH` makes `r=…` assign PATH), unless the allowing pattern spells `-n`.
 *
 * @since 0.1.0
 * @category variables
 */
export const namerefDeclaration = (unit: ShellUnit, allowance: Allowance): Refusal | undefined => {
  const name = unit.words[0]?.literal
  const declares = name !== undefined && DECLARING_BUILTINS.has(name) && unit.words.slice(1).some((w) => /^-[a-zA-Z]*n/.test(w.literal ?? ""))
  return declares && !spells(allowance, "-n") ?
    new Refusal("protected-variable", unit.text, "it declares a name reference (-n), through which any variable can be set.") :
    undefined
}

/**
 * Refuses a job's own env that sets a protected variable (checked only under a command list).
 *
 * @since 0.1.0
 * @category variables
 */
export const protectedEnv = (policy: CompiledPolicy, env: Readonly<Record<string, string>>): Refusal | undefined => {
  const name = Object.keys(env).find((name) => isProtected(policy, name))
  return name === undefined ? undefined : new Refusal(
    "protected-variable",
    name,
    `the job's env sets ${name}, a variable that makes programs load or run other code. Leave it out, or ask the operator to list it in MCP_BG_ALLOWED_ENV.`,
    "variable"
  )
}
