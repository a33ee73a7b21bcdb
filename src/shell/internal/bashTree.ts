/**
 * Turns a tree-sitter-bash syntax tree into the parser-independent `ShellScript`. Fail-closed: a node type
 * this module does not know becomes a problem (the policy refuses the command), and places where
 * tree-sitter-bash reads the text differently from `sh` (dash) or bash are reported as problems too.
 *
 * @internal
 */
import type { Node } from "web-tree-sitter"
import type { ShellAssignment, ShellConstruct, ShellRedirect, ShellScript, ShellUnit, ShellWord } from "../ShellSyntax.js"

/** Deeper nesting than this is refused rather than walked (keeps the walk's stack bounded). */
const MAX_DEPTH = 200

/** Node types that only group statements: their named children are statements. */
const STATEMENT_GROUPS = new Set([
  "program",
  "list",
  "pipeline",
  "negated_command",
  "subshell",
  "do_group",
  "if_statement",
  "elif_clause",
  "else_clause",
  "while_statement"
])

const REDIRECT_TYPES = new Set(["file_redirect", "heredoc_redirect", "herestring_redirect"])

/** Node types whose presence inside arithmetic means it reads variables. */
const ARITHMETIC_VARIABLES = new Set(["variable_name", "simple_expansion", "expansion", "subscript", "command_substitution"])

interface Draft {
  readonly start: number
  readonly unit: ShellUnit
}

/** Removes backslash-newline pairs, as the shell does before it splits words. */
const joinContinuations = (text: string): string => text.replace(/\\\n/g, "")

/** The value of an unquoted word after quote removal (backslash escapes). */
const unescapeWord = (text: string): string => joinContinuations(text).replace(/\\(.)/gs, "$1")

/** The value of double-quoted text: a backslash escapes only `$`, `` ` ``, `"`, `\` and newline. */
const unescapeDoubleQuoted = (text: string): string =>
  joinContinuations(text).replace(/\\([$`"\\])/g, "$1")

/** Unquoted characters that make a word expand (globs, braces, tilde). */
const EXPANDING = /[*?[\]{}~]/

/**
 * Characters that the shell never keeps inside an unquoted word. Finding one unescaped in a node that
 * tree-sitter calls a word means the two read the command differently.
 */
const hiddenSyntax = (text: string, heredoc: boolean): string | undefined => {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "\\") {
      // An escaped backquote is how backquote substitutions nest: `a \`b\`` runs b.
      if (text[i + 1] === "`") return "\\`"
      i++
      continue
    }
    if (c === "`") return "`"
    if (c === "$" && (text[i + 1] === "(" || text[i + 1] === "[" || text[i + 1] === "{")) return `$${text[i + 1]}`
    if (!heredoc && ";&|<>()\n".includes(c)) return c
  }
  return undefined
}

/** The first named child of a field, or undefined. */
const field = (node: Node, name: string): Node | undefined => node.childForFieldName(name) ?? undefined

const namedChildren = (node: Node): Array<Node> => node.namedChildren.filter((child): child is Node => child !== null)

const children = (node: Node): Array<Node> => node.children.filter((child): child is Node => child !== null)

const hasDescendant = (node: Node, types: ReadonlySet<string>): boolean =>
  namedChildren(node).some((child) => types.has(child.type) || hasDescendant(child, types))

/** Whether a here-document delimiter as written is quoted (then its body is not expanded). */
const quotedDelimiter = (text: string): boolean => /['"\\]/.test(text)

const delimiterValue = (text: string): string => text.replace(/['"]/g, "").replace(/\\(.)/g, "$1")

class Converter {
  private readonly drafts: Array<Draft> = []
  private readonly problems: Array<string> = []

  constructor(private readonly source: string) {}

  result(): ShellScript {
    const units = this.drafts.slice().sort((a, b) => a.start - b.start).map((draft) => draft.unit)
    return { units, problems: this.problems }
  }

  problem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message)
  }

  private text(start: number, end: number): string {
    return joinContinuations(this.source.slice(start, end)).trim()
  }

  statement(node: Node, depth: number): void {
    if (depth > MAX_DEPTH) return this.problem(`the command is nested more than ${MAX_DEPTH} levels deep`)
    const type = node.type
    if (STATEMENT_GROUPS.has(type)) {
      for (const child of namedChildren(node)) this.statement(child, depth + 1)
      return
    }
    switch (type) {
      case "comment":
        return this.comment(node)
      case "command":
      case "variable_assignment":
      case "variable_assignments":
      case "declaration_command":
      case "unset_command":
        return this.commandUnit(node, [], node.endIndex, depth)
      case "redirected_statement":
        return this.redirected(node, depth)
      case "compound_statement":
        return this.compound(node, depth)
      case "test_command":
        return this.testCommand(node, depth)
      case "function_definition": {
        const constructs: Array<ShellConstruct> = [{ kind: "function-definition", text: node.text, marker: "()" }]
        this.statementUnit(node, node.endIndex, constructs, [], [])
        const body = field(node, "body")
        if (body !== undefined) this.statement(body, depth + 1)
        return
      }
      case "for_statement":
        return this.forStatement(node, depth)
      case "c_style_for_statement": {
        const constructs: Array<ShellConstruct> = [{ kind: "arithmetic", text: node.text, marker: "((" }]
        for (const child of namedChildren(node)) {
          if (child.type === "do_group" || child.type === "compound_statement") this.statement(child, depth + 1)
          else this.scan(child, constructs, depth + 1)
        }
        this.statementUnit(node, node.endIndex, constructs, [], [])
        return
      }
      case "case_statement":
        return this.caseStatement(node, depth)
      default:
        return this.problem(`the policy does not understand the shell syntax ${JSON.stringify(node.text.slice(0, 40))} (${type})`)
    }
  }

  /**
   * A `#` starts a comment only at the start of a word. If the character before it is escaped (`a\<tab>#`),
   * the shell reads on where the parser stopped, and what follows (`; rm x`) would run unchecked.
   */
  private comment(node: Node): void {
    const at = node.startIndex
    let before = at - 1
    const previous = this.source[before]
    if (previous === undefined || previous === "\n") return
    if (!" \t;&|()<>".includes(previous)) {
      return this.problem(`the parser read ${JSON.stringify(node.text.slice(0, 40))} as a comment, but the shell may not`)
    }
    let backslashes = 0
    while (this.source[--before] === "\\") backslashes++
    if (backslashes % 2 === 1) {
      this.problem(`the parser read ${JSON.stringify(node.text.slice(0, 40))} as a comment after an escaped character, but the shell does not`)
    }
  }

  private statementUnit(
    node: Node,
    end: number,
    constructs: ReadonlyArray<ShellConstruct>,
    redirects: ReadonlyArray<ShellRedirect>,
    assignments: ReadonlyArray<ShellAssignment>
  ): void {
    if (constructs.length === 0 && redirects.length === 0 && assignments.length === 0) return
    this.drafts.push({
      start: node.startIndex,
      unit: { kind: "statement", text: this.text(node.startIndex, end), assignments, words: [], nameEnd: 0, redirects, constructs }
    })
  }

  private redirected(node: Node, depth: number): void {
    const body = field(node, "body")
    const redirectNodes = children(node).filter((child) => REDIRECT_TYPES.has(child.type))
    if (body === undefined || ["command", "variable_assignment", "variable_assignments", "declaration_command", "unset_command"].includes(body.type)) {
      return this.commandUnit(body ?? node, redirectNodes, node.endIndex, depth, node.startIndex)
    }
    const constructs: Array<ShellConstruct> = []
    const redirects = redirectNodes.map((r) => this.redirect(r, constructs, depth + 1))
    this.statementUnit(node, node.endIndex, constructs, redirects, [])
    this.statement(body, depth + 1)
  }

  private compound(node: Node, depth: number): void {
    if (node.firstChild?.type === "((") {
      const constructs: Array<ShellConstruct> = []
      for (const child of namedChildren(node)) this.scan(child, constructs, depth + 1)
      if (hasDescendant(node, ARITHMETIC_VARIABLES)) constructs.push({ kind: "arithmetic", text: node.text, marker: "((" })
      this.statementUnit(node, node.endIndex, constructs, [], [])
      return
    }
    for (const child of namedChildren(node)) this.statement(child, depth + 1)
  }

  private testCommand(node: Node, depth: number): void {
    const constructs: Array<ShellConstruct> = []
    for (const child of namedChildren(node)) this.scan(child, constructs, depth + 1)
    const opener = node.firstChild?.type
    if (opener === "[[") {
      constructs.push({ kind: "test-expression", text: node.text, marker: "[[" })
      this.statementUnit(node, node.endIndex, constructs, [], [])
      return
    }
    // `[ … ]` is the test builtin: a simple command named `[`.
    const words: Array<ShellWord> = [{ text: "[", literal: "[" }]
    this.drafts.push({
      start: node.startIndex,
      unit: { kind: "command", text: this.text(node.startIndex, node.endIndex), assignments: [], words, nameEnd: 1, redirects: [], constructs }
    })
  }

  private forStatement(node: Node, depth: number): void {
    const constructs: Array<ShellConstruct> = []
    const assignments: Array<ShellAssignment> = []
    const variable = field(node, "variable")
    if (variable !== undefined) assignments.push({ name: variable.text, text: `for ${variable.text}` })
    for (const value of node.childrenForFieldName("value")) {
      if (value !== null) this.word(value, constructs, depth + 1)
    }
    const body = field(node, "body")
    this.statementUnit(node, body?.startIndex ?? node.endIndex, constructs, [], assignments)
    if (body !== undefined) this.statement(body, depth + 1)
  }

  private caseStatement(node: Node, depth: number): void {
    const constructs: Array<ShellConstruct> = []
    const value = field(node, "value")
    if (value !== undefined) this.word(value, constructs, depth + 1)
    for (const item of namedChildren(node)) {
      if (item.type !== "case_item") continue
      for (let i = 0; i < item.childCount; i++) {
        const child = item.child(i)
        if (child === null || !child.isNamed) continue
        if (item.fieldNameForChild(i) === "value") this.word(child, constructs, depth + 1)
        else this.statement(child, depth + 1)
      }
    }
    this.statementUnit(node, value?.endIndex ?? node.endIndex, constructs, [], [])
  }

  private commandUnit(node: Node, extraRedirects: ReadonlyArray<Node>, end: number, depth: number, start = node.startIndex): void {
    const constructs: Array<ShellConstruct> = []
    const assignments: Array<ShellAssignment> = []
    const words: Array<ShellWord> = []
    const redirects: Array<ShellRedirect> = []
    let nameEnd = 0
    const assignment = (child: Node) => {
      const name = field(child, "name")
      const nameText = name?.type === "subscript" ? field(name, "name")?.text ?? name.text : name?.text ?? ""
      assignments.push({ name: nameText, text: child.text })
      for (const part of namedChildren(child)) this.scan(part, constructs, depth + 1)
    }
    if (node.type === "variable_assignment") {
      assignment(node)
    } else if (node.type !== "redirected_statement") {
      if (node.type === "declaration_command" || node.type === "unset_command") {
        const keyword = node.firstChild
        if (keyword !== null) {
          words.push({ text: keyword.text, literal: keyword.text })
          nameEnd = this.text(start, keyword.endIndex).length
        }
      }
      for (let i = 0; i < node.childCount; i++) {
        const child = node.child(i)
        if (child === null || !child.isNamed) continue
        const role = node.fieldNameForChild(i)
        if (child.type === "variable_assignment") {
          assignment(child)
          if (node.type === "declaration_command") words.push({ text: child.text, literal: undefined })
        } else if (child.type === "variable_assignments") {
          for (const inner of namedChildren(child)) assignment(inner)
        } else if (REDIRECT_TYPES.has(child.type)) {
          redirects.push(this.redirect(child, constructs, depth + 1))
        } else if (role === "name" || child.type === "command_name") {
          const inner = child.firstNamedChild ?? child
          words.push(this.word(inner, constructs, depth + 1))
          nameEnd = this.text(start, child.endIndex).length
        } else if (child.type === "comment") {
          this.comment(child)
        } else {
          words.push(this.word(child, constructs, depth + 1))
        }
      }
    }
    for (const r of extraRedirects) redirects.push(this.redirect(r, constructs, depth + 1))
    this.drafts.push({
      start,
      unit: { kind: "command", text: this.text(start, end), assignments, words, nameEnd, redirects, constructs }
    })
  }

  private redirect(node: Node, constructs: Array<ShellConstruct>, depth: number): ShellRedirect {
    let operator = ""
    let target: ShellWord | undefined
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i)
      if (child === null) continue
      if (!child.isNamed) {
        if (operator === "") operator = child.type
        continue
      }
      const role = node.fieldNameForChild(i)
      if (child.type === "file_descriptor") continue
      if (child.type === "heredoc_start" || child.type === "heredoc_end") continue
      if (child.type === "heredoc_body") {
        this.heredoc(node, child, constructs, depth)
        continue
      }
      if (role === "destination" || target === undefined) target = this.word(child, constructs, depth)
      else this.word(child, constructs, depth)
    }
    if (node.type === "heredoc_redirect") target = undefined
    return { text: node.text, operator, target }
  }

  /** Checks that the body ends where the shell would end it, and scans an expanded body for substitutions. */
  private heredoc(redirect: Node, body: Node, constructs: Array<ShellConstruct>, depth: number): void {
    const startNode = children(redirect).find((c) => c.type === "heredoc_start")
    const endNode = children(redirect).find((c) => c.type === "heredoc_end")
    const stripTabs = children(redirect).some((c) => c.type === "<<-")
    const written = startNode?.text ?? ""
    const delimiter = delimiterValue(written)
    const normalise = (line: string) => (stripTabs ? line.replace(/^\t+/, "") : line)
    const lines = body.text.split("\n")
    if (lines.some((line) => normalise(line) === delimiter) || (endNode !== undefined && normalise(endNode.text) !== delimiter)) {
      this.problem(`the here-document ending with ${JSON.stringify(delimiter)} could end at a different line for the shell`)
    }
    if (quotedDelimiter(written)) return
    // Text of the body outside the expansions the parser found must hold no expansion it missed.
    let from = body.startIndex
    const checkText = (end: number) => {
      const hidden = hiddenSyntax(this.source.slice(from, end), true)
      if (hidden !== undefined) this.problem(`the here-document contains ${JSON.stringify(hidden)} that the parser did not read as an expansion`)
    }
    for (const part of namedChildren(body)) {
      if (part.type === "heredoc_content") continue
      checkText(part.startIndex)
      from = part.endIndex
      this.scan(part, constructs, depth + 1)
    }
    checkText(body.endIndex)
  }

  /** A word: its value when known, and the constructs inside it. */
  word(node: Node, constructs: Array<ShellConstruct>, depth: number): ShellWord {
    const text = node.text
    if (depth > MAX_DEPTH) {
      this.problem(`the command is nested more than ${MAX_DEPTH} levels deep`)
      return { text, literal: undefined }
    }
    switch (node.type) {
      case "word": {
        const hidden = hiddenSyntax(text, false)
        if (hidden !== undefined) {
          this.problem(`the parser read ${JSON.stringify(text)} as a plain word, but ${JSON.stringify(hidden)} in it means something to the shell`)
        }
        return { text, literal: EXPANDING.test(text.replace(/\\./g, "")) ? undefined : unescapeWord(text) }
      }
      case "number":
      case "variable_name":
        return { text, literal: text }
      case "raw_string":
        return { text, literal: text.slice(1, -1) }
      case "string": {
        let literal: string | undefined = ""
        for (const part of namedChildren(node)) {
          if (part.type === "string_content") {
            const hidden = hiddenSyntax(part.text, true)
            if (hidden !== undefined) {
              this.problem(`the parser read ${JSON.stringify(part.text)} as plain text, but ${JSON.stringify(hidden)} in it means something to the shell`)
            }
            if (literal !== undefined) literal += unescapeDoubleQuoted(part.text)
          } else {
            literal = undefined
            this.scan(part, constructs, depth + 1)
          }
        }
        return { text, literal }
      }
      case "ansi_c_string": {
        // bash reads \' inside $'…' as a quote; sh (dash) ends the string there: they would split differently.
        if (/(^|[^\\])(\\\\)*\\'/.test(text.slice(2, -1))) {
          this.problem(`${JSON.stringify(text)} is read differently by sh and bash (an escaped quote inside $'…')`)
        }
        return { text, literal: text.includes("\\") ? undefined : text.slice(2, -1) }
      }
      case "concatenation": {
        const parts = namedChildren(node).map((part) => this.word(part, constructs, depth + 1))
        const literal = parts.every((p) => p.literal !== undefined) ? parts.map((p) => p.literal).join("") : undefined
        return { text, literal: literal !== undefined && /[{}]/.test(text) ? undefined : literal }
      }
      default:
        this.scan(node, constructs, depth)
        return { text, literal: undefined }
    }
  }

  /** Finds the constructs inside an expression or expansion; statements inside substitutions become units. */
  scan(node: Node, constructs: Array<ShellConstruct>, depth: number): void {
    if (depth > MAX_DEPTH) return this.problem(`the command is nested more than ${MAX_DEPTH} levels deep`)
    switch (node.type) {
      case "command_substitution": {
        constructs.push({ kind: "command-substitution", text: node.text, marker: node.text.startsWith("`") ? "`" : "$(" })
        for (const child of namedChildren(node)) this.statement(child, depth + 1)
        return
      }
      case "process_substitution": {
        constructs.push({ kind: "process-substitution", text: node.text, marker: node.text.slice(0, 2) })
        for (const child of namedChildren(node)) this.statement(child, depth + 1)
        return
      }
      case "arithmetic_expansion": {
        if (hasDescendant(node, ARITHMETIC_VARIABLES)) {
          constructs.push({ kind: "arithmetic", text: node.text, marker: node.text.startsWith("$[") ? "$[" : "$((" })
        }
        break
      }
      case "expansion": {
        const operators = children(node).map((c) => c.type)
        const at = operators.indexOf("@")
        if (at >= 0 && operators[at + 1] === "P") constructs.push({ kind: "prompt-expansion", text: node.text, marker: "@P" })
        // Inside "${x:-'…'}" the single quotes are plain characters: the shell expands what they enclose.
        for (const quoted of node.descendantsOfType(["raw_string", "ansi_c_string"])) {
          const hidden = quoted === null ? undefined : hiddenSyntax(quoted.text, true)
          if (hidden !== undefined) {
            this.problem(`${JSON.stringify(quoted!.text.slice(0, 40))} inside \${…} is quoted for the parser, but the shell may expand ${JSON.stringify(hidden)} in it`)
          }
        }
        break
      }
      case "word":
      case "string":
      case "raw_string":
      case "ansi_c_string":
      case "concatenation":
        this.word(node, constructs, depth)
        return
      case "string_content":
      case "regex":
      case "extglob_pattern": {
        // Patterns in ${x#…}, ${x%…}, =~ and extglobs are expanded by the shell, though the parser keeps them as text.
        const hidden = hiddenSyntax(node.text, true)
        if (hidden !== undefined) this.problem(`the parser read ${JSON.stringify(node.text)} as plain text, but ${JSON.stringify(hidden)} in it means something to the shell`)
        return
      }
      default:
        break
    }
    for (const child of namedChildren(node)) this.scan(child, constructs, depth + 1)
  }
}

/**
 * Finds backslash-newline pairs that join two words into one: tree-sitter-bash splits the words there,
 * the shell does not, so the policy would check a different command from the one that runs.
 */
const wordJoiningContinuation = (source: string): boolean => {
  for (let i = source.indexOf("\\\n"); i >= 0; i = source.indexOf("\\\n", i + 2)) {
    let backslashes = 0
    for (let j = i; j >= 0 && source[j] === "\\"; j--) backslashes++
    if (backslashes % 2 === 0) continue
    const before = source[i - backslashes]
    const after = source[i + 2]
    const blank = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\n"
    if (!blank(before) && !blank(after)) return true
  }
  return false
}

/**
 * Converts a parsed tree; `source` must be the text it was parsed from.
 *
 * @internal
 */
export const toShellScript = (root: Node, source: string): ShellScript => {
  const converter = new Converter(source)
  if (/(^|[^\\])(\\\\)*\\\t/.test(source)) {
    converter.problem("a backslash before a tab makes the tab part of a word for the shell, not for the parser; remove the backslash")
  }
  if (wordJoiningContinuation(source)) {
    converter.problem("a backslash at the end of a line joins two words into one; write the word on one line")
  }
  converter.statement(root, 0)
  return converter.result()
}

/**
 * Where the first syntax error is, as "line L, column C near `…`".
 *
 * @internal
 */
export const describeSyntaxError = (root: Node): string => {
  const find = (node: Node): Node | undefined => {
    if (node.isError || node.isMissing) return node
    for (const child of children(node)) {
      if (child.hasError || child.isMissing || child.isError) {
        const found = find(child)
        if (found !== undefined) return found
      }
    }
    return undefined
  }
  const bad = find(root) ?? root
  const where = `line ${bad.startPosition.row + 1}, column ${bad.startPosition.column + 1}`
  if (bad.isMissing) return `syntax error at ${where}: missing ${JSON.stringify(bad.type)}`
  const near = bad.text.length > 0 ? ` near ${JSON.stringify(bad.text.slice(0, 40))}` : " (unexpected end of input)"
  return `syntax error at ${where}${near}`
}
