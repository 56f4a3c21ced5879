/**
 * The connection check behind `POST /disposition-services/{id}/check`: the
 * lookup, TCP, TLS and HTTP steps tried one after the other against the
 * same checked address, stopping at the first that fails, each with a
 * sentence that tells the administrator what to do.
 *
 * The whole check runs within one time budget (8 s by default), well under
 * the appliance's own idle limit for a request, so the administrator always
 * gets an answer naming the step that ran out of time rather than a dropped
 * connection.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { isIP, connect as tcpConnect } from "node:net";
import { type DetailedPeerCertificate, checkServerIdentity, connect as tlsConnect } from "node:tls";
import { isOutboundError } from "./errors.ts";
import { codeOf } from "./failures.ts";
import type { Cidr } from "./ip.ts";
import { redirectTargetForLog } from "./redact.ts";
import { type Resolver, type ServiceTarget, resolveServiceTarget } from "./resolve.ts";
import { explainNameMismatch, explainUntrusted } from "./tls-advice.ts";
import { exchange, hostPort } from "./transport.ts";

/** What the check sends in its HTTP step. */
export interface CheckOptions {
  /** The service's user; with `password`, sent as HTTP Basic. */
  username?: string;
  /** The service's password; never shown in a detail. */
  password?: string;
  /** A harmless method for the HTTP step. Default is `GET`. */
  method?: "GET" | "OPTIONS" | "HEAD";
}

/** One step of a connection check. */
export interface CheckStep {
  step: "dns" | "tcp" | "tls" | "http";
  ok: boolean;
  /** What happened, and on failure what to do about it. */
  detail: string;
}

/** The outcome of a connection check: `ok` when every step passed. */
export interface ConnectionCheck {
  ok: boolean;
  steps: CheckStep[];
}

/** What the check needs from the client. */
export interface CheckDeps {
  anchors: () => Promise<string[]>;
  allow: readonly Cidr[];
  resolve?: Resolver;
  /** The time the whole check may take, every step included, in milliseconds. */
  budgetMs: number;
  userAgent: string;
  maxBodyBytes: number;
}

/** The default of {@link CheckDeps.budgetMs}. */
export const CHECK_BUDGET_MS = 8_000;

/**
 * The share of the budget the lookup, TCP and TLS steps may each take, so
 * that one slow early step still leaves the HTTP step time of its own.
 */
const EARLY_STEP_SHARE = 0.3;

type StepOutcome = { ok: boolean; detail: string };

/** `2 s`, `0.5 s`: a limit as the administrator reads it. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Runs the check; never throws. */
export async function runCheck(
  url: string,
  options: CheckOptions,
  deps: CheckDeps,
): Promise<ConnectionCheck> {
  const steps: CheckStep[] = [];
  const record = (step: CheckStep["step"], outcome: StepOutcome) => {
    steps.push({ step, ...outcome });
    return outcome.ok;
  };
  const result = () => ({ ok: steps.every((s) => s.ok), steps });
  const deadline = Date.now() + deps.budgetMs;
  const earlyStepMs = Math.max(1, Math.floor(deps.budgetMs * EARLY_STEP_SHARE));
  const timeLeft = (cap = Number.POSITIVE_INFINITY) =>
    Math.max(1, Math.min(cap, deadline - Date.now()));

  const resolved = await resolveServiceTarget(url, deps.allow, deps.resolve, timeLeft(earlyStepMs));
  if (!resolved.ok) {
    record("dns", { ok: false, detail: resolved.message });
    return result();
  }
  const target = resolved.target;
  const literal = isIP(target.hostname) !== 0;
  const found = literal
    ? `The URL names the address ${target.hostname}; no lookup needed`
    : `${target.hostname} resolves to ${target.addresses.join(", ")}`;
  record("dns", { ok: true, detail: found });

  if (!record("tcp", await probeTcp(target, timeLeft(earlyStepMs)))) return result();

  const anchors = await deps.anchors();
  if (!record("tls", await probeTls(target, anchors, timeLeft(earlyStepMs)))) return result();

  record("http", await probeHttp(target, anchors, options, deps, timeLeft()));
  return result();
}

function probeTcp(target: ServiceTarget, timeoutMs: number): Promise<StepOutcome> {
  const where = hostPort(target.addresses[0], target.port);
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: target.addresses[0], port: target.port });
    const done = (outcome: StepOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      const detail =
        `No answer from ${where} within ${seconds(timeoutMs)} — ` +
        "is a firewall dropping the connection?";
      done({ ok: false, detail });
    }, timeoutMs);

    socket.once("connect", () => done({ ok: true, detail: `Connected to ${where}` }));
    socket.once("error", (error) => done({ ok: false, detail: tcpAdvice(error, where) }));
  });
}

function tcpAdvice(error: Error, where: string): string {
  switch (codeOf(error)) {
    case "ECONNREFUSED":
      return `Connection refused on ${where} — is the service running, and on this port?`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${where} is unreachable from the appliance — check its routes and firewalls`;
    default:
      return `Could not connect to ${where}: ${error.message}`;
  }
}

function probeTls(
  target: ServiceTarget,
  anchors: string[],
  timeoutMs: number,
): Promise<StepOutcome> {
  if (anchors.length === 0) {
    const detail =
      "The CA store holds no usable certificate, so nothing is trusted: " +
      "add the service's certificate or its CA under CA certificates";
    return Promise.resolve({ ok: false, detail });
  }

  const where = hostPort(target.addresses[0], target.port);
  return new Promise((resolve) => {
    // Verification is judged below, to explain it; this connection sends no data.
    const socket = tlsConnect({
      host: target.addresses[0],
      port: target.port,
      ca: anchors,
      servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const done = (outcome: StepOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      const detail =
        `No TLS handshake with ${where} within ${seconds(timeoutMs)} — ` +
        "is this port serving HTTPS?";
      done({ ok: false, detail });
    }, timeoutMs);

    socket.once("secureConnect", () => {
      const leaf = socket.getPeerCertificate(true) as DetailedPeerCertificate;
      const failure = socket.authorizationError as unknown;
      if (!socket.authorized || failure) {
        const code = typeof failure === "string" ? failure : (codeOf(failure) ?? "unknown");
        return done({ ok: false, detail: explainUntrusted(code, leaf, target.hostname) });
      }
      if (checkServerIdentity(target.hostname, leaf)) {
        return done({ ok: false, detail: explainNameMismatch(leaf, target.hostname) });
      }
      const detail = `The certificate of ${target.hostname} is trusted and names it`;
      done({ ok: true, detail });
    });
    socket.once("error", (error) => {
      const detail =
        `The TLS handshake with ${where} failed: ${error.message} — ` +
        "is this port serving HTTPS?";
      done({ ok: false, detail });
    });
  });
}

async function probeHttp(
  target: ServiceTarget,
  anchors: string[],
  options: CheckOptions,
  deps: CheckDeps,
  timeoutMs: number,
): Promise<StepOutcome> {
  const headers: Record<string, string> = {};
  const withCredentials = options.username !== undefined || options.password !== undefined;
  if (withCredentials) {
    const pair = `${options.username ?? ""}:${options.password ?? ""}`;
    headers.authorization = `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
  }

  const method = options.method ?? "GET";
  let status: number;
  let location: string | undefined;
  try {
    const { userAgent, maxBodyBytes } = deps;
    const response = await exchange(
      target,
      { method, headers },
      {
        anchors,
        timeoutMs,
        userAgent,
        maxBodyBytes,
      },
    );
    status = response.status;
    location = response.headers.location;
  } catch (error) {
    if (isOutboundError(error) && error.kind === "timeout") {
      const detail =
        `${target.hostname} sent no HTTP answer within ${seconds(timeoutMs)}, the time left ` +
        `of the check's ${seconds(deps.budgetMs)} — is the service overloaded, or is this ` +
        "port serving something else?";
      return { ok: false, detail };
    }
    const detail = isOutboundError(error) ? error.message : String(error);
    return { ok: false, detail };
  }
  return judgeAnswer(status, location, method, target.url, withCredentials);
}

/**
 * Judges the HTTP step's answer the way a delivery would judge the answer
 * to its POST: only what a delivery counts as delivered passes. The probe
 * itself is a harmless request (no update is sent), so one answer differs:
 * 405 says the path exists but does not take the probe's method, which is
 * what an endpoint that takes only POST answers; it counts as reachable.
 */
function judgeAnswer(
  status: number,
  location: string | undefined,
  method: string,
  url: URL,
  withCredentials: boolean,
): StepOutcome {
  const probe = `the check sent a ${method} to ${url.origin}${url.pathname}, not an update`;
  if (status >= 200 && status < 300) {
    return { ok: true, detail: `HTTP ${status}: the service answered` };
  }
  if (status === 405) {
    const detail =
      `HTTP 405: the service does not take ${method} here, as a service that takes only ` +
      `POST answers (${probe}); the path exists, but the user and password were not proven`;
    return { ok: true, detail };
  }
  if (status >= 300 && status < 400) {
    const where = redirectTargetForLog(location, url);
    const detail =
      `HTTP ${status}: the service redirects to ${where}; deliveries do not follow ` +
      "redirects, so every delivery would fail: put that URL in the service";
    return { ok: false, detail };
  }
  if (status === 401 || status === 403) {
    const detail = withCredentials
      ? `HTTP ${status}: the service rejected the user and password — check them`
      : `HTTP ${status}: the service wants a user and password — give them for this service`;
    return { ok: false, detail };
  }
  if (status === 404 || status === 410) {
    const detail =
      `HTTP ${status}: the service has nothing at ${url.pathname} — ` +
      "check the path of the URL against the service's documentation";
    return { ok: false, detail };
  }
  if (status === 429) {
    const detail =
      "HTTP 429: the service asks the appliance to slow down; deliveries would wait and " +
      "retry — run the check again later";
    return { ok: false, detail };
  }
  if (status >= 500) {
    const detail =
      `HTTP ${status}: the service reports an error of its own; deliveries would be ` +
      "retried until it answers 2xx — look at the service's logs";
    return { ok: false, detail };
  }
  const detail =
    `HTTP ${status}: the service refused the request (${probe}); a delivery answered ` +
    `${status} fails — check the URL`;
  return { ok: false, detail };
}
