/**
 * Checks against browser attacks: a page on another site must not reach the server through the user's
 * browser, neither directly (`Origin`) nor by pointing its own host name at this machine (DNS rebinding,
 * caught by the `Host` header).
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import * as os from "node:os"
import { type HttpConfig, isLoopback, normalizeOrigin } from "./HttpConfig.js"

/**
 * The `Host` and `Origin` values a server accepts.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestPolicy {
  /** Host names (without port) that name this server. */
  readonly hostNames: ReadonlySet<string>
  /** Allowed `host:port` pairs, for allowed hosts configured with a port. */
  readonly hostsWithPort: ReadonlySet<string>
  readonly origins: ReadonlySet<string>
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"]

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]"

const bare = (host: string) => host.replace(/^\[|\]$/g, "").toLowerCase()

/**
 * The policy for a server bound to `config.host`: that address; the loopback names when it is loopback or
 * a wildcard; every local interface address and the machine's name when it is a wildcard; and the
 * configured allowed hosts and origins.
 *
 * @since 0.1.0
 * @category constructors
 */
export const requestPolicy = (config: HttpConfig): RequestPolicy => {
  const hostNames = new Set<string>([bare(config.host)])
  if (isLoopback(config.host) || isWildcard(config.host)) for (const name of LOOPBACK_NAMES) hostNames.add(name)
  if (isWildcard(config.host)) {
    hostNames.add(os.hostname().toLowerCase())
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const address of addresses ?? []) hostNames.add(bare(address.address))
    }
  }
  const hostsWithPort = new Set<string>()
  for (const allowed of config.allowedHosts) {
    const parsed = parseHost(allowed)
    if (parsed === undefined) continue
    if (parsed.port === undefined) hostNames.add(parsed.name)
    else hostsWithPort.add(`${parsed.name}:${parsed.port}`)
  }
  return { hostNames, hostsWithPort, origins: new Set(config.allowedOrigins.map(normalizeOrigin)) }
}

/** Splits a `Host` header into its name (lower case, no brackets, no trailing dot) and port. */
const parseHost = (host: string): { readonly name: string; readonly port: string | undefined } | undefined => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host.trim())
  if (match !== null) {
    const name = (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, "")
    return { name, port: match[3] }
  }
  // An IPv6 address without brackets (allowed in configuration, not valid in a header, harmless to accept).
  return net.isIPv6(host.trim()) ? { name: host.trim().toLowerCase(), port: undefined } : undefined
}

/**
 * Whether a request's `Host` header names this server. A missing header is refused: every HTTP/1.1
 * client sends one.
 *
 * @since 0.1.0
 * @category checks
 */
export const hostAllowed = (policy: RequestPolicy, host: string | undefined): boolean => {
  if (host === undefined) return false
  const parsed = parseHost(host)
  if (parsed === undefined) return false
  return policy.hostNames.has(parsed.name) ||
    (parsed.port !== undefined && policy.hostsWithPort.has(`${parsed.name}:${parsed.port}`))
}

/**
 * Whether a request's `Origin` may call the server: requests without one (not from a browser page) may;
 * browser pages only from an allowed origin.
 *
 * @since 0.1.0
 * @category checks
 */
export const originAllowed = (policy: RequestPolicy, origin: string | undefined): boolean =>
  origin === undefined || policy.origins.has(normalizeOrigin(origin))
