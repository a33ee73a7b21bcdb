// The dashboard page. Job text is only ever inserted as text nodes (never as HTML); colours come from the
// SGR codes of the raw output, rendered as spans with classes. The live feed (/api/events) only says what
// changed; the page fetches what it shows from the JSON endpoints, following each job's output by cursor.
"use strict"
;(() => {
  const $ = (id) => document.getElementById(id)
  const ICONS = { running: "\u25B6", completed: "\u2714", failed: "\u2716", killed: "\u25A0", timed_out: "\u23F1", lost: "?" }
  const ERROR_LINE = /\b(error|errors|failed|failure|fatal|exception|panic|traceback)\b|ERR!/i
  /** Lines of output kept on the page; older pages are dropped from view (Load earlier brings them back). */
  const MAX_PAGES = 200
  /** Further behind than this, following skips ahead to the newest page instead of reading every byte. */
  const SKIP_AHEAD_BYTES = 512 * 1024

  const state = { jobs: [], selected: null, cursor: null, earliest: null, feed: null, reading: false, again: false, details: null }

  const api = async (path, options = {}) => {
    const init = { credentials: "same-origin", headers: {}, ...options }
    if (options.body !== undefined) {
      init.method = init.method || "POST"
      init.headers["content-type"] = "application/json"
      init.body = JSON.stringify(options.body)
    }
    const response = await fetch(path, init)
    const body = await response.json().catch(() => ({}))
    if (response.status === 401) showSignIn()
    if (!response.ok) throw new Error(body.error || `request failed (${response.status})`)
    return body
  }

  // ---- ANSI SGR rendering -------------------------------------------------------------------------------
  const freshStyle = () => ({ fg: null, bg: null, b: false, dim: false, i: false, u: false, s: false, inverse: false })
  const COLOR_256 = (n) => {
    if (n < 16) return null
    if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v},${v},${v})` }
    const k = n - 16, steps = [0, 95, 135, 175, 215, 255]
    return `rgb(${steps[Math.floor(k / 36)]},${steps[Math.floor(k / 6) % 6]},${steps[k % 6]})`
  }
  const applySgr = (style, params) => {
    const codes = params === "" ? [0] : params.split(";").map((p) => (p === "" ? 0 : Number(p)))
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]
      if (c === 0) Object.assign(style, freshStyle())
      else if (c === 1) style.b = true
      else if (c === 2) style.dim = true
      else if (c === 3) style.i = true
      else if (c === 4) style.u = true
      else if (c === 7) style.inverse = true
      else if (c === 9) style.s = true
      else if (c === 22) { style.b = false; style.dim = false }
      else if (c === 23) style.i = false
      else if (c === 24) style.u = false
      else if (c === 27) style.inverse = false
      else if (c === 29) style.s = false
      else if (c >= 30 && c <= 37) style.fg = c - 30
      else if (c === 39) style.fg = null
      else if (c >= 40 && c <= 47) style.bg = c - 40
      else if (c === 49) style.bg = null
      else if (c >= 90 && c <= 97) style.fg = c - 90 + 8
      else if (c >= 100 && c <= 107) style.bg = c - 100 + 8
      else if (c === 38 || c === 48) {
        let color = null
        if (codes[i + 1] === 5) { const n = codes[i + 2] ?? 0; color = n < 16 ? n : COLOR_256(n); i += 2 }
        else if (codes[i + 1] === 2) { color = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`; i += 4 }
        if (c === 38) style.fg = color; else style.bg = color
      }
    }
  }
  const styled = (style, text, extraClass) => {
    const span = document.createElement("span")
    const classes = extraClass ? [extraClass] : []
    const fg = style.inverse ? style.bg : style.fg
    const bg = style.inverse ? style.fg : style.bg
    if (typeof fg === "number") classes.push(`fg-${fg}`); else if (fg) span.style.color = fg
    if (typeof bg === "number") classes.push(`bg-${bg}`); else if (bg) span.style.backgroundColor = bg
    for (const flag of ["b", "dim", "i", "u", "s"]) if (style[flag]) classes.push(flag)
    if (classes.length > 0) span.className = classes.join(" ")
    span.appendChild(document.createTextNode(text))
    return span
  }
  // CSI (other than SGR), OSC and lone escapes are dropped; bare CRs become line ends.
  const ESCAPES = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g
  /** Renders raw text into `target` as spans, one per styled run and line, so a line can be found and shown. */
  const renderAnsi = (target, raw, style, extraClass) => {
    const text = raw.replace(/\r\n/g, "\n").replace(/\r/g, "\n")
    let last = 0
    const emit = (chunk) => {
      if (chunk === "") return
      for (const piece of chunk.split(/(?<=\n)/)) target.appendChild(styled(style, piece, extraClass))
    }
    for (const match of text.matchAll(ESCAPES)) {
      emit(text.slice(last, match.index))
      if (match[2] === "m") applySgr(style, match[1])
      last = match.index + match[0].length
    }
    emit(text.slice(last))
  }

  // ---- sign-in ---------------------------------------------------------------------------------------------
  const showSignIn = () => {
    closeFeed()
    $("app").hidden = true
    $("sign-out").hidden = true
    $("sign-in").hidden = false
    $("token").focus()
  }
  const showApp = () => {
    $("sign-in").hidden = true
    $("app").hidden = false
    $("sign-out").hidden = false
    openFeed()
    refreshJobs()
  }
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault()
    $("sign-in-error").textContent = ""
    try {
      await api("/api/session", { body: { token: $("token").value } })
      $("token").value = ""
      showApp()
    } catch (error) {
      $("sign-in-error").textContent = error.message
    }
  })
  $("sign-out").addEventListener("click", async () => {
    await api("/api/session", { method: "DELETE" }).catch(() => {})
    state.jobs = []
    renderJobs()
    closeJob()
    showSignIn()
  })

  // ---- the job table -----------------------------------------------------------------------------------
  const formatDuration = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000))
    if (s < 60) return `${s}s`
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  }
  const durationOf = (job) => (job.endedAt ? Date.parse(job.endedAt) : Date.now()) - Date.parse(job.startedAt)
  const cell = (row, text, className) => {
    const td = document.createElement("td")
    if (className) td.className = className
    if (text !== undefined) td.textContent = text
    row.appendChild(td)
    return td
  }
  const portLinks = (td, ports) => {
    if (!ports) return
    for (const port of [...ports.tcp, ...ports.udp]) {
      if (port.url) {
        const a = document.createElement("a")
        a.href = port.url
        a.target = "_blank"
        a.rel = "noopener noreferrer"
        a.textContent = String(port.port)
        td.appendChild(a)
      } else td.appendChild(document.createTextNode(String(port.port)))
      td.appendChild(document.createTextNode(" "))
    }
  }
  const renderJobs = () => {
    const body = $("jobs").tBodies[0]
    body.replaceChildren()
    for (const job of state.jobs) {
      const row = document.createElement("tr")
      row.dataset.id = job.id
      if (job.id === state.selected) row.className = "selected"
      cell(row, `${ICONS[job.status] || ""} ${job.status}`, `status status-${job.status}`)
      const open = document.createElement("button")
      open.type = "button"
      open.textContent = job.command
      open.title = "Show this job"
      open.addEventListener("click", () => selectJob(job.id))
      cell(row, undefined, "command").appendChild(open)
      cell(row, new Date(job.startedAt).toLocaleString(), "wide")
      cell(row, formatDuration(durationOf(job)), "duration")
      cell(row, job.exitCode === null ? "" : String(job.exitCode))
      portLinks(cell(row, undefined, "wide"), job.ports)
      body.appendChild(row)
    }
    $("no-jobs").hidden = state.jobs.length > 0
    $("job-count").textContent = `(${state.jobs.filter((j) => j.status === "running").length} running, ${state.jobs.length} in all)`
  }
  let listTimer = null
  const refreshJobs = async () => {
    try {
      state.jobs = (await api("/api/jobs")).jobs
      renderJobs()
    } catch { /* the sign-in form shows, or the next event retries */ }
  }
  const scheduleJobs = () => {
    if (listTimer === null) listTimer = setTimeout(() => { listTimer = null; refreshJobs() }, 100)
  }
  setInterval(() => {
    for (const row of $("jobs").tBodies[0].rows) {
      const job = state.jobs.find((j) => j.id === row.dataset.id)
      if (job && job.status === "running") row.querySelector(".duration").textContent = formatDuration(durationOf(job))
    }
  }, 1000)

  $("start-form").addEventListener("submit", async (event) => {
    event.preventDefault()
    $("start-error").textContent = ""
    try {
      const job = await api("/api/jobs", { body: { command: $("start-command").value, cwd: $("start-cwd").value } })
      $("start-command").value = ""
      await refreshJobs()
      selectJob(job.id)
    } catch (error) {
      $("start-error").textContent = error.message
    }
  })

  // ---- the live feed -----------------------------------------------------------------------------------
  const closeFeed = () => {
    if (state.feed) state.feed.close()
    state.feed = null
  }
  const openFeed = () => {
    closeFeed()
    const feed = new EventSource(state.selected ? `/api/events?job=${encodeURIComponent(state.selected)}` : "/api/events")
    feed.addEventListener("hello", () => { $("connection").textContent = "live" })
    feed.addEventListener("jobs", (event) => {
      scheduleJobs()
      const { changed } = JSON.parse(event.data)
      if (state.selected && changed.includes(state.selected)) refreshDetails()
    })
    feed.addEventListener("output", () => readOn())
    feed.addEventListener("error", () => {
      $("connection").textContent = "reconnecting\u2026"
      // A closed session ends the stream for good: find out whether to sign in again.
      api("/api/session").catch(() => {})
    })
    state.feed = feed
  }

  // ---- the job view ------------------------------------------------------------------------------------
  const output = $("output")
  const page = (start, stdout, stderr, before) => {
    const div = document.createElement("div")
    div.className = "page"
    div.dataset.start = start
    if (stdout) renderAnsi(div, stdout, freshStyle())
    if (stderr) renderAnsi(div, stderr, freshStyle(), "stderr")
    if (before) output.insertBefore(div, output.firstChild); else output.appendChild(div)
    return div
  }
  const marker = (text) => {
    const span = document.createElement("span")
    span.className = "marker"
    span.textContent = text
    output.appendChild(span)
  }
  const trimPages = () => {
    const pages = output.querySelectorAll(".page")
    for (let i = 0; i < pages.length - MAX_PAGES; i++) pages[i].remove()
    const first = output.querySelector(".page")
    if (first && pages.length > MAX_PAGES) state.earliest = first.dataset.start
  }
  const followScroll = () => {
    if ($("follow").checked) output.scrollTop = output.scrollHeight
  }
  const readOn = async () => {
    if (!state.selected || state.cursor === null) return
    if (state.reading) { state.again = true; return }
    state.reading = true
    const id = state.selected
    try {
      for (let pages = 0; pages < 8 && id === state.selected; pages++) {
        const result = await api(`/api/jobs/${encodeURIComponent(id)}/output?cursor=${encodeURIComponent(state.cursor)}`)
        if (id !== state.selected) return
        if (result.stdout || result.stderr) page(result.start, result.stdout, result.stderr, false)
        state.cursor = result.cursor
        if (result.remainingBytes > SKIP_AHEAD_BYTES) {
          const latest = await api(`/api/jobs/${encodeURIComponent(id)}/output`)
          marker(`\u2026 ${result.remainingBytes} bytes skipped while following (search or Load earlier to see them) \u2026`)
          page(latest.start, latest.stdout, latest.stderr, false)
          state.cursor = latest.cursor
          break
        }
        if (result.remainingBytes === 0) break
      }
      trimPages()
      followScroll()
    } catch (error) {
      $("job-error").textContent = error.message
    } finally {
      state.reading = false
      if (state.again) { state.again = false; readOn() }
    }
  }
  const loadEarlier = async () => {
    if (!state.selected || !state.earliest) return
    const id = state.selected
    try {
      const result = await api(`/api/jobs/${encodeURIComponent(id)}/output?before=${encodeURIComponent(state.earliest)}`)
      if (id !== state.selected) return
      const height = output.scrollHeight
      page(result.start, result.stdout, result.stderr, true)
      state.earliest = result.start === state.earliest ? null : result.start
      output.scrollTop += output.scrollHeight - height
      updateEarlier()
    } catch (error) {
      $("job-error").textContent = error.message
    }
  }
  const atRingStart = (cursor) => {
    const d = state.details
    if (!d || !cursor) return true
    const [, out, err] = cursor.split(":").map(Number)
    return out <= d.droppedStdoutBytes && err <= d.droppedStderrBytes
  }
  const updateEarlier = () => { $("load-earlier").disabled = !state.earliest || atRingStart(state.earliest) }
  const renderDetails = () => {
    const d = state.details
    if (!d) return
    $("job-title").textContent = d.command
    const parts = [`${ICONS[d.status] || ""} ${d.status}`, `pid ${d.pid}`, `cwd ${d.cwd}`, `started ${new Date(d.startedAt).toLocaleString()}`]
    if (d.exitCode !== null) parts.push(`exit ${d.exitCode}`)
    if (d.signal) parts.push(`signal ${d.signal}`)
    if (d.restarts > 0) parts.push(`restarts ${d.restarts}`)
    $("job-meta").textContent = parts.join(" \u00B7 ")
    const running = d.status === "running"
    $("kill").disabled = !running
    $("interrupt").disabled = !running
    $("input-line").disabled = !running || !d.stdinOpen
    $("send-eof").disabled = !running || !d.stdinOpen
    // Terminal jobs (issue 14) will show #terminal (xterm.js) instead of #output here.
    updateEarlier()
  }
  const refreshDetails = async () => {
    if (!state.selected) return
    try {
      state.details = await api(`/api/jobs/${encodeURIComponent(state.selected)}`)
      renderDetails()
      readOn()
    } catch (error) {
      $("job-error").textContent = error.message
    }
  }
  const selectJob = async (id) => {
    state.selected = id
    state.cursor = null
    state.earliest = null
    state.details = null
    output.replaceChildren()
    $("matches").hidden = true
    $("search-summary").textContent = ""
    $("job-error").textContent = ""
    $("job").hidden = false
    renderJobs()
    openFeed()
    try {
      const [details, latest] = await Promise.all([
        api(`/api/jobs/${encodeURIComponent(id)}`),
        api(`/api/jobs/${encodeURIComponent(id)}/output`)
      ])
      if (id !== state.selected) return
      state.details = details
      page(latest.start, latest.stdout, latest.stderr, false)
      state.cursor = latest.cursor
      state.earliest = latest.start
      renderDetails()
      followScroll()
      $("job-title").focus({ preventScroll: true })
      readOn()
    } catch (error) {
      $("job-error").textContent = error.message
    }
  }
  const closeJob = () => {
    state.selected = null
    state.cursor = null
    $("job").hidden = true
    output.replaceChildren()
    renderJobs()
    if (state.feed) openFeed()
  }
  $("job-title").tabIndex = -1
  $("close-job").addEventListener("click", closeJob)
  $("load-earlier").addEventListener("click", loadEarlier)

  const act = async (path, body) => {
    $("job-error").textContent = ""
    try {
      const result = await api(`/api/jobs/${encodeURIComponent(state.selected)}${path}`, { body })
      refreshDetails()
      scheduleJobs()
      return result
    } catch (error) {
      $("job-error").textContent = error.message
    }
  }
  $("kill").addEventListener("click", () => act("/kill", {}))
  $("interrupt").addEventListener("click", () => act("/kill", { signal: "SIGINT" }))
  // A restart starts a new job (a new id, the same command): the view moves to it.
  $("restart").addEventListener("click", async () => {
    const job = await act("/restart", {})
    if (job && job.id) selectJob(job.id)
  })
  $("input-form").addEventListener("submit", async (event) => {
    event.preventDefault()
    const line = $("input-line").value
    $("input-line").value = ""
    await act("/input", { input: line })
  })
  $("send-eof").addEventListener("click", () => act("/input", { input: "", eof: true }))

  // ---- search and the first error ----------------------------------------------------------------------
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault()
    const pattern = $("search").value
    if (!state.selected || pattern === "") return
    const query = new URLSearchParams({ filter: pattern, context: $("context").value || "0" })
    try {
      const result = await api(`/api/jobs/${encodeURIComponent(state.selected)}/output?${query}`)
      const matches = $("matches")
      matches.replaceChildren()
      if (result.stdout) matches.appendChild(document.createTextNode(result.stdout))
      if (result.stderr) {
        const span = document.createElement("span")
        span.className = "stderr"
        span.textContent = result.stderr
        matches.appendChild(span)
      }
      matches.hidden = false
      $("search-summary").textContent = `${result.matches ?? 0} matching line(s)${result.truncated ? " (more than fit: narrow the pattern)" : ""}`
    } catch (error) {
      $("search-summary").textContent = error.message
    }
  })
  $("clear-search").addEventListener("click", () => {
    $("search").value = ""
    $("matches").hidden = true
    $("search-summary").textContent = ""
  })
  $("first-error").addEventListener("click", () => {
    for (const old of output.querySelectorAll(".hit")) old.classList.remove("hit")
    const hit = Array.from(output.querySelectorAll(".page span")).find((span) => ERROR_LINE.test(span.textContent))
    if (!hit) {
      $("search-summary").textContent = "No error-looking line in the output shown (Load earlier to look further back)."
      return
    }
    $("follow").checked = false
    hit.classList.add("hit")
    hit.scrollIntoView({ block: "center" })
    $("search-summary").textContent = "Showing the first error-looking line."
  })

  // ---- start -------------------------------------------------------------------------------------------
  fetch("/api/session", { credentials: "same-origin" })
    .then((response) => (response.ok ? showApp() : showSignIn()))
    .catch(() => showSignIn())
})()
