/**
 * The package's own version, read from its package.json.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The nearest package.json above this module: the same file from `dist/main/` and from the bundled `dist/bin.js`. */
const packageJsonPath = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error("mcp-background-job: package.json not found above " + import.meta.url)
    dir = parent
  }
  return path.join(dir, "package.json")
}

/**
 * The package's version.
 *
 * @since 0.1.0
 */
export const packageVersion = (): string => (JSON.parse(fs.readFileSync(packageJsonPath(), "utf8")) as { version: string }).version
