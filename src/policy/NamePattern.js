/**
 * Environment-variable name patterns: exact names or globs with `*` (any run of characters) and `?` (one
 * character), as in `MCP_BG_SCRUB_ENV=AWS_*,*_TOKEN`. Case-sensitive, like variable names.
 *
 * @since 0.1.0
 */
const globToRegExp = (glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
/**
 * Compiles name patterns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const namePatterns = (sources) => {
    const compiled = sources.map(globToRegExp);
    return { sources, matches: (name) => compiled.some((pattern) => pattern.test(name)) };
};
/**
 * Parses a comma-separated list of names or globs (`A,B_*,*_TOKEN`); `undefined` when an entry has
 * characters other than letters, digits, `_`, `*`, `?` (and `%` for exported bash functions).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseNameList = (raw) => {
    const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0);
    if (entries.length === 0 || entries.some((entry) => !/^[A-Za-z0-9_*?%]+$/.test(entry)))
        return undefined;
    return entries;
};
/**
 * Variables through which a value can make a program load or run code of the caller's choosing: dynamic
 * loader hooks, shell start-up files and exported functions, interpreter options and module paths, the
 * commands git, ssh, pagers and editors run, and npm's configuration. Under a command policy, a job may not
 * set them (per-job `env`, assignments in the command, `env NAME=…`) unless they are listed in
 * `MCP_BG_ALLOWED_ENV`.
 *
 * @since 0.1.0
 * @category constants
 */
export const HOOK_VARIABLES = [
    "PATH",
    "LD_*",
    "DYLD_*",
    "BASH_ENV",
    "ENV",
    "BASH_FUNC_*",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "IFS",
    "CDPATH",
    "GLOBIGNORE",
    "SHELL",
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "DOTNET_STARTUP_HOOKS",
    "GIT_*",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "LESSOPEN",
    "LESSCLOSE",
    "BROWSER",
    "npm_config_*",
    "NPM_CONFIG_*",
    "GCONV_PATH",
    "LOCPATH",
    "MAKEFLAGS",
    "MFLAGS"
];
/**
 * The server's own secrets, never passed to jobs: every `MCP_BG_*` setting whose name says it holds a token,
 * key, secret, password or credential (such as `MCP_BG_HTTP_TOKEN`).
 *
 * @since 0.1.0
 * @category constants
 */
export const SERVER_SECRETS = [
    "MCP_BG_*TOKEN*",
    "MCP_BG_*KEY*",
    "MCP_BG_*SECRET*",
    "MCP_BG_*PASSWORD*",
    "MCP_BG_*PASSWD*",
    "MCP_BG_*CREDENTIAL*",
    "MCP_BG_*AUTH*"
];
