/**
 * The package's own name and version, read from its package.json.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"

/**
 * The package's version.
 *
 * @since 0.1.0
 */
export const packageVersion = (): string => {
  const text = fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")
  return (JSON.parse(text) as { version: string }).version
}
