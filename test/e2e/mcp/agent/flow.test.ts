import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { connectForBlock, shellQuote, transports } from "../../../support/agentHarness.js"
import { eventually } from "../../../support/polling.js"
import { processesWithMarker, uniqueMarker } from "../../../support/processes.js"
import { tempDirForBlock } from "../../../support/tempDir.js"

/** A dev server: logs, becomes ready after half a second, answers HTTP, logs each request. */
const devServer = `
const http = require('http')
console.log('> dev')
const server = http.createServer((req, res) => { console.log('GET ' + req.url); res.end(req.url === '/cart' ? '90' : 'ok') })
setTimeout(() => server.listen(0, '127.0.0.1', () => {
  require('fs').writeFileSync('port', String(server.address().port))
  console.log('\\x1b[32mready\\x1b[0m - started server on http://127.0.0.1:' + server.address().port)
}), 500)
process.on('SIGTERM', () => { console.log('shutting down'); server.close(() => process.exit(0)) })
`

/** A test suite that talks to the server: two pass, one fails. */
const testSuite = `
const http = require('http')
const port = require('fs').readFileSync('port', 'utf8')
const get = (p) => new Promise((resolve) => http.get('http://127.0.0.1:' + port + p, (res) => { let b = ''; res.on('data', (d) => b += d); res.on('end', () => resolve(b)) }))
;(async () => {
  console.log('PASS src/health.test.js')
  for (let i = 0; i < 200; i++) console.log('  ok ' + i)
  const total = await get('/cart')
  if (total !== '100') { console.log('FAIL src/cart.test.js'); console.log('  x applies the discount: expected 100, got ' + total); console.error('Error: 1 test failed'); process.exit(1) }
})()
`

describe.each(transports)("the typical agent flow over %s", (transport) => {
  const marker = uniqueMarker("flow")
  const directory = tempDirForBlock("mbj-flow-")
  beforeAll(() => {
    fs.writeFileSync(path.join(directory(), "server.js"), `${devServer}// ${marker}\n`)
    fs.writeFileSync(path.join(directory(), "suite.js"), `${testSuite}// ${marker}\n`)
  })
  const [harness] = connectForBlock(transport, marker, () => ({ workingDir: directory() }))

  it("start a dev server, wait until ready, run the tests, read the failures, stop the server", async () => {
    const node = shellQuote(process.execPath)
    const server = await harness.call("execute", { command: `${node} ${path.join(directory(), "server.js")} ${marker}` })
    expect(server.status).toBe("running")

    const ready = await harness.call("wait", { job_id: server.job_id, cursor: server.cursor, until: "ready|error", timeout_s: 120 })
    expect(ready).toMatchObject({ reason: "matched", status: "running" })
    expect(ready.matched_line).toMatch(/^ready - started server on http:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.stdout).toMatch(/^> dev\nready - started/)

    const tests = await harness.call("execute", { command: `${node} suite.js ${marker}`, wait_ms: 60_000 })
    expect(tests).toMatchObject({ status: "failed", exit_code: 1, stderr: "Error: 1 test failed\n" })

    const failures = await harness.call("output", { job_id: tests.job_id, filter: "FAIL|x |Error", max_bytes: 4000 })
    expect(failures).toMatchObject({
      stdout: "FAIL src/cart.test.js\n  x applies the discount: expected 100, got 90\n",
      stderr: "Error: 1 test failed\n",
      truncated: false
    })

    // Only what the server logged since it became ready.
    const log = await harness.call("output", { job_id: server.job_id, cursor: ready.cursor })
    expect(log.stdout).toBe("GET /cart\n")

    expect(await harness.call("kill", { job_id: server.job_id })).toMatchObject({ status: "killed", ports_free: true })
    const stopped = await harness.call("wait", { job_id: server.job_id, cursor: log.cursor, timeout_s: 30 })
    expect(stopped).toMatchObject({ reason: "exited", status: "killed", stdout: "shutting down\n" })
    expect(await eventually(() => processesWithMarker(marker).length === 0, 15_000)).toBe(true)
  })
})
