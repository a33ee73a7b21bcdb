/**
 * mcp-background-job: run long shell commands as supervised background jobs, from Effect code or over MCP.
 *
 * @since 0.1.0
 */

/** Statuses and the other closed sets of values, as schemas. @since 0.1.0 */
export { jobStatuses, JobStatus, KillResult, RestartMode, StdinMode, WaitReason } from "./domain/JobStatus.js"
/** What the runtime tells about a job and its output, as schemas. @since 0.1.0 */
export { JobDetails, JobPorts, JobRun, JobSummary, ListeningPort, OutputView, TailView, Timestamp, WaitResult } from "./domain/JobViews.js"
/** What waiting on several jobs tells, as schemas. @since 0.1.0 */
export { JobWaitEntry, WaitAllResult, WaitAnyResult } from "./domain/WaitMany.js"
/** The notice an MCP session gives of a job that ended. @since 0.1.0 */
export { JobNotice, NOTICE_COMMAND_LENGTH, noticeOf, shortenCommand } from "./domain/JobNotice.js"
/** The tagged errors of job operations. @since 0.1.0 */
export {
  CommandRejected,
  InputNotAccepted,
  InvalidArgument,
  type JobError,
  JobLimitReached,
  JobNotFound,
  JobNotRunning,
  JobsNotFound,
  SpawnFailed,
  StdinClosed
} from "./domain/errors.js"
/** Events published on `JobManager.events`. @since 0.1.0 */
export { JobEvent } from "./domain/JobEvent.js"
/** The runtime's configuration and its settings table. @since 0.1.0 */
export { JobConfig, type JobConfigInput, parseByteSize, type Setting, settings, type ValidateOptions } from "./JobConfig.js"
/** The job runtime service and its options. @since 0.1.0 */
export {
  type ExecuteOptions,
  type InteractOptions,
  JobManager,
  type JobManagerService,
  type OutputOptions,
  type WaitManyOptions,
  type WaitOptions
} from "./JobManager.js"
/** The process-starting service that the runtime depends on. @since 0.1.0 */
export {
  type ExitInfo,
  type JobProcess,
  type OutputSink,
  type SignalName,
  type SignalTarget,
  Spawner,
  type SpawnRequest,
  StdinUnavailable
} from "./Spawner.js"
/** The live `Spawner`, on `node:child_process`. @since 0.1.0 */
export * as NodeSpawner from "./NodeSpawner.js"
/** The optional watcher that stops the jobs if the server dies without stopping them. @since 0.1.0 */
export { ProcessGuard } from "./ProcessGuard.js"
/** The live `ProcessGuard`: a detached guard process holding a pipe from the server. @since 0.1.0 */
export * as NodeProcessGuard from "./NodeProcessGuard.js"
/** The byte ring that holds a job's output. @since 0.1.0 */
export { OutputBuffer, type Position, type StreamName } from "./OutputBuffer.js"
/** Defining MCP tools with Effect Schema. @since 0.1.0 */
export * as McpTool from "./mcp/McpTool.js"
/** The MCP adapter: job tools and resources on an SDK `Server`. @since 0.1.0 */
export * as McpJobServer from "./mcp/McpJobServer.js"
/** Serving the job tools over stdio. @since 0.1.0 */
export { instructions, serveStdio, type ServerInfo } from "./mcp/stdio.js"
/** The command policy: parse with a real shell parser, then decide per simple command. @since 0.1.0 */
export { CommandPolicy, type CommandPolicyOptions, type CommandPolicyService, type PolicyRule } from "./policy/CommandPolicy.js"
/** The shell parser service (tree-sitter-bash on WebAssembly). @since 0.1.0 */
export { ShellParser, ShellParserUnavailable } from "./shell/ShellParser.js"
/** What the policy knows about a parsed command. @since 0.1.0 */
export type { ShellConstruct, ShellScript, ShellUnit, ShellWord } from "./shell/ShellSyntax.js"
/** Variables that load or run code, refused under a command policy unless allowed. @since 0.1.0 */
export { HOOK_VARIABLES, SERVER_SECRETS } from "./policy/NamePattern.js"
/** Serving the job tools over Streamable HTTP, with bearer tokens and browser checks. @since 0.1.0 */
export * as McpHttpServer from "./http/McpHttpServer.js"
/** HTTP mode's settings and their table. @since 0.1.0 */
export { checkExposure, HttpConfig, type HttpConfigInput, type HttpSetting, httpSettings, type NamedToken } from "./http/HttpConfig.js"
