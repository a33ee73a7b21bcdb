/**
 * Prints, as JSON, the public exports of the package's entry modules that have no doc comment:
 * `{ "checked": <number of exports seen>, "undocumented": ["Name", "Namespace.member", ...] }`.
 * Re-exported namespaces (`export * as Name`) must be documented on that line, and each of their exports
 * too; so must the static members of exported classes. Run in its own process: building a TypeScript
 * program takes seconds of CPU, which would stall a test worker.
 *
 * Usage: node test/support/undocumentedExports.mjs <project root> <entry.ts>...
 */
import * as path from "node:path"
import ts from "typescript"

const [root, ...entries] = process.argv.slice(2)
const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile)
const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
const program = ts.createProgram(entries, { ...options, noEmit: true })
const checker = program.getTypeChecker()
const undocumented = []
let checked = 0

const hasDoc = (node) =>
  node !== undefined && ts.getJSDocCommentsAndTags(node).some((doc) => ts.isJSDoc(doc) && doc.comment !== undefined)
const documented = (symbol) =>
  symbol.getDocumentationComment(checker).some((part) => part.text.trim() !== "") ||
  (symbol.declarations ?? []).some(hasDoc)

const visit = (moduleSymbol, prefix) => {
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    checked++
    const name = `${prefix}${exported.name}`
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    if ((target.declarations ?? []).some(ts.isSourceFile)) {
      if (!(exported.declarations ?? []).some((declaration) => hasDoc(declaration.parent))) undocumented.push(name)
      visit(target, `${name}.`)
      continue
    }
    if (!documented(target)) undocumented.push(name)
    if (target.flags & ts.SymbolFlags.Class) {
      target.exports?.forEach((member, key) => {
        if (key !== "prototype" && !documented(member)) undocumented.push(`${name}.${String(key)}`)
      })
    }
  }
}

for (const entry of entries) {
  const source = program.getSourceFile(entry)
  if (source === undefined) throw new Error(`cannot read ${entry}`)
  visit(checker.getSymbolAtLocation(source), `${path.relative(root, entry)}: `)
}
process.stdout.write(JSON.stringify({ checked, undocumented }) + "\n")
