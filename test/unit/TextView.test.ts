import { assert, describe, it } from "@effect/vitest"
import { completeUtf8Length, lastLines, renderTerminalText, toText } from "../../src/internal/TextView.js"

const bytes = (text: string) => new TextEncoder().encode(text)

describe("TextView", () => {
  it("turns CRLF into LF", () => {
    assert.strictEqual(renderTerminalText("a\r\nb\r\n"), "a\nb\n")
  })

  it("keeps what a terminal shows after carriage returns (progress bars)", () => {
    assert.strictEqual(renderTerminalText("progress 10%\rprogress 50%\rprogress 100%\ndone\n"), "progress 100%\ndone\n")
    // A shorter rewrite leaves the tail of the longer text, as on a terminal.
    assert.strictEqual(renderTerminalText("abcdef\rXY\n"), "XYcdef\n")
    // A trailing CR (line still in progress) keeps the text shown.
    assert.strictEqual(renderTerminalText("50%\r"), "50%")
    // Erase-in-line after the CR clears the old text.
    assert.strictEqual(renderTerminalText("downloading 99%\r\x1b[Kdone\n"), "done\n")
    assert.strictEqual(renderTerminalText("old text\r\x1b[2Knew\n"), "new\n")
  })

  it("strips ANSI escape sequences", () => {
    assert.strictEqual(renderTerminalText("\x1b[31mred\x1b[0m plain\n"), "red plain\n")
    assert.strictEqual(renderTerminalText("\x1b]0;title\x07text\n"), "text\n")
  })

  it("keeps everything in raw mode", () => {
    const raw = "\x1b[31mred\x1b[0m\r\nx\ry"
    assert.strictEqual(toText(bytes(raw), { raw: true }), raw)
  })

  it("decodes invalid UTF-8 with replacement characters", () => {
    assert.strictEqual(toText(new Uint8Array([0x61, 0xff, 0x62])), "a\uFFFDb")
  })

  it("finds where an incomplete UTF-8 character starts", () => {
    const euro = bytes("€") // 3 bytes
    assert.strictEqual(completeUtf8Length(bytes("ab")), 2)
    assert.strictEqual(completeUtf8Length(euro), 3)
    assert.strictEqual(completeUtf8Length(euro.subarray(0, 2)), 0)
    assert.strictEqual(completeUtf8Length(new Uint8Array([0x61, ...euro.subarray(0, 1)])), 1)
    const emoji = bytes("😀") // 4 bytes
    assert.strictEqual(completeUtf8Length(new Uint8Array([0x61, ...emoji.subarray(0, 3)])), 1)
    assert.strictEqual(completeUtf8Length(new Uint8Array([0x61, ...emoji])), 5)
  })

  it("takes the last lines", () => {
    assert.strictEqual(lastLines("a\nb\nc\n", 2), "b\nc\n")
    assert.strictEqual(lastLines("a\nb\nc", 2), "b\nc")
    assert.strictEqual(lastLines("a\nb\n", 5), "a\nb\n")
    assert.strictEqual(lastLines("", 5), "")
  })
})
