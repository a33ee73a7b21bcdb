import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { isClientCommand, parseCommand, readyArgument } from "../../../src/cli/args.js"
import { ports } from "../../../src/cli/format.js"
import { resolveToken, resolveUrl } from "../../../src/cli/connection.js"
import { parseServerArgs } from "../../../src/main/serverArgs.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const parsed = (argv: ReadonlyArray<string>) => Either.getOrThrow(parseCommand(argv))

describe("client command lines", () => {
  it("tells client commands from server flags", () => {
    for (const command of ["run", "ls", "status", "logs", "tail", "send", "wait", "kill", "help"]) expect(isClientCommand(command)).toBe(true)
    for (const arg of [undefined, "--http", "--max-jobs", "serve", "-h"]) expect(isClientCommand(arg)).toBe(false)
  })

  it("gives run the rest of the line, dashes included, after its own options", () => {
    const command = parsed(["run", "-f", "--env", "A=1", "--env=B=2", "ls", "-la", "--color", "/tmp"])
    expect(command.operands.get("command")).toBe("ls -la --color /tmp")
    expect(command.options.get("env")).toEqual(["A=1", "B=2"])
    expect(command.options.get("follow")).toEqual(["true"])
    expect(parsed(["run", "--", "--weird", "x"]).operands.get("command")).toBe("--weird x")
  })

  it("reads options anywhere for commands with fixed operands", () => {
    const command = parsed(["logs", "abc", "-f", "--stderr", "--url", "http://h:1/mcp"])
    expect(command.operands.get("id")).toBe("abc")
    expect(command.options.get("url")).toEqual(["http://h:1/mcp"])
    expect(parsed(["send", "id1", "hello", "-n", "world"]).operands.get("text")).toBe("hello -n world")
    expect(parsed(["tail", "-n", "5", "x"]).options.get("lines")).toEqual(["5"])
  })

  it("explains usage errors", () => {
    expect(parseCommand(["wait"])).toEqual(Either.left("wait: missing <id>: usage: mcp-background-job wait [options] <id>"))
    expect(Either.getLeft(parseCommand(["ls", "extra"]))._tag).toBe("Some")
    expect(parseCommand(["kill", "--frob", "x"])).toEqual(Either.left("kill: unknown option --frob: run mcp-background-job kill --help"))
    expect(parseCommand(["kill", "x", "--signal"])).toEqual(Either.left("kill: --signal needs a value (SIG)"))
    expect(parseCommand(["logs", "x", "-f", "-f"])).toEqual(Either.left("logs: -f is given twice"))
    expect(parseCommand(["ls", "--json=yes"])).toEqual(Either.left("ls: --json takes no value"))
    expect(Either.isRight(parseCommand(["run", "--help"]))).toBe(true)
  })
})

describe("finding the server and the token", () => {
  it("builds the URL from --url, MCP_BG_URL or the server's host and port settings", () => {
    const href = (flag: string | undefined, env: Record<string, string>) => Either.getOrThrow(resolveUrl(flag, env)).href
    expect(href(undefined, {})).toBe("http://127.0.0.1:7345/mcp")
    expect(href(undefined, { MCP_BG_HTTP_PORT: "9000", MCP_BG_HTTP_HOST: "0.0.0.0" })).toBe("http://127.0.0.1:9000/mcp")
    expect(href(undefined, { MCP_BG_URL: "http://box:8000" })).toBe("http://box:8000/mcp")
    expect(href("https://jobs.example.com/custom/mcp", { MCP_BG_URL: "http://box:8000" })).toBe("https://jobs.example.com/custom/mcp")
    expect(Either.isLeft(resolveUrl("ftp://x", {}))).toBe(true)
  })

  it("takes the token from --token, MCP_BG_TOKEN, a token file, or the server's default token file for the port", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbj-args-"))
    try {
      const url = new URL("http://127.0.0.1:7400/mcp")
      const file = path.join(dir, "mcp-background-job", "http-7400.token")
      fs.mkdirSync(path.dirname(file))
      fs.writeFileSync(file, "from-default-file\n")
      const token = (flags: { token?: string; tokenFile?: string }, env: Record<string, string>) =>
        Either.getOrThrow(resolveToken(url, flags, env)).token
      expect(token({ token: "flag" }, { MCP_BG_TOKEN: "env" })).toBe("flag")
      expect(token({}, { MCP_BG_TOKEN: "env", XDG_RUNTIME_DIR: dir })).toBe("env")
      expect(token({ tokenFile: file }, {})).toBe("from-default-file")
      expect(token({}, { MCP_BG_HTTP_TOKEN: "alice:shared" })).toBe("shared")
      expect(token({}, { XDG_RUNTIME_DIR: dir })).toBe("from-default-file")
      const missing = resolveToken(new URL("http://127.0.0.1:7401/mcp"), {}, { XDG_RUNTIME_DIR: dir })
      expect(Either.isLeft(missing) && missing.left.text).toMatch(/no token: pass --token/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("server command line", () => {
  it("accepts --http with its flags and refuses HTTP flags without it", () => {
    const serve = Either.getOrThrow(parseServerArgs(["--http", "--host", "::1", "--port=0", "--max-jobs", "3"]))
    expect(serve).toMatchObject({ _tag: "Serve", http: true })
    if (serve._tag !== "Serve") return
    expect(serve.flags.get("MCP_BG_HTTP_PORT")).toBe("0")
    expect(serve.flags.get("MCP_BG_HTTP_HOST")).toBe("::1")
    expect(Either.getOrThrow(parseServerArgs([]))).toMatchObject({ _tag: "Serve", http: false })
    expect(parseServerArgs(["--port", "1"])).toEqual(Either.left("--port is a setting of HTTP mode: add --http"))
    expect(Either.isLeft(parseServerArgs(["--http", "--token", "x"]))).toBe(true)
  })

  it("reads run --ready as a port, any port, or a pattern; shows ports short", () => {
    expect(readyArgument(":3000")).toEqual({ port: 3000 })
    expect(readyArgument(":any")).toEqual({ port: "any" })
    expect(readyArgument("ready on :3000")).toBe("ready on :3000")
    expect(readyArgument("localhost:3000")).toBe("localhost:3000")
    expect(ports(null)).toBe("?")
    expect(ports({ tcp: [], udp: [] })).toBe("-")
    expect(ports({ tcp: [{ port: 3000 }, { port: 3000 }, { port: 24678 }], udp: [{ port: 5353 }] })).toBe("3000,24678,5353/udp")
  })
})
