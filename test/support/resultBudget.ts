/**
 * Checking results against the result budget as a client sees them: what a text costs a result, the text a
 * `seq` prints, and a head-and-tail text split around its marker line and checked against the whole.
 */
import { assert } from "vitest"

/**
 * What a text costs a result: its UTF-8 bytes, plus the JSON escape (six bytes) of each control character
 * other than tab and newline.
 */
export const textCost = (text: string): number => Buffer.byteLength(text) + 5 * (text.match(/[\x00-\x08\x0b-\x1f\x7f]/g)?.length ?? 0)

/** What `seq from to` prints. */
export const seqText = (from: number, to: number): string => {
  const lines: Array<string> = []
  for (let n = from; n <= to; n++) lines.push(`${n}\n`)
  return lines.join("")
}

/** The marker line between a head and a tail, with what it says. */
const OMISSION = /⟨… ([\d,]+) bytes, ([\d,]+) lines left out: output with cursor "([^"]+)" reads them …⟩\n/

const countNewlines = (text: string): number => {
  let count = 0
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++
  return count
}

const groupedNumber = (digits: string): number => Number(digits.replace(/,/g, ""))

/**
 * Splits a head-and-tail text around its marker line and checks it against `expected`, the text it was taken
 * from: the head is its start, the tail its end, and the marker counts exactly the bytes and lines between.
 */
export const assertHeadAndTail = (what: string, text: string, expected: string) => {
  const marker = OMISSION.exec(text)
  if (marker === null) throw new Error(`${what}: no marker line in ${JSON.stringify(text.slice(0, 200))}…`)
  let head = text.slice(0, marker.index)
  // A head that ends inside a line gets a line break before the marker.
  if (head.endsWith("\n") && expected[head.length - 1] !== "\n") head = head.slice(0, -1)
  const tail = text.slice(marker.index + marker[0].length)
  assert.isTrue(expected.startsWith(head), `${what}: the head is the start`)
  assert.isTrue(expected.endsWith(tail), `${what}: the tail is the end`)
  const left = expected.slice(head.length, expected.length - tail.length)
  const bytes = groupedNumber(marker[1]!)
  const lines = groupedNumber(marker[2]!)
  assert.strictEqual(bytes, Buffer.byteLength(left), `${what}: bytes left out`)
  assert.strictEqual(lines, countNewlines(left), `${what}: lines left out`)
  return { head, tail, bytes, lines, cursor: marker[3]! }
}
