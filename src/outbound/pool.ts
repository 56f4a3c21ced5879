/**
 * Keep-alive connections for the outbound client, never shared across trust.
 *
 * Every connection belongs to one `node:https` Agent, and an Agent serves
 * exactly one key: the hash of the anchor set read for the request, the
 * checked address, the port and the host name whose certificate was checked.
 * A connection is therefore only reused by a request that would have made
 * the very same TLS verification: a store that lost (or gained) a CA hashes
 * differently, so the next request opens a new connection verified against
 * the new set; a name that now resolves elsewhere gets its own key too.
 *
 * The name check is set on the Agent, bound to the key's host name: Bun
 * 1.4.5 does not keep a connection made with a per-request
 * `checkServerIdentity`. Bun's Agent does not honour `maxSockets` either,
 * so the pool itself lets at most `maxSocketsPerKey` requests in flight per
 * key; each holds one connection, and the others wait their turn.
 *
 * Agents whose key has no request in flight are destroyed after `idleMs`,
 * and at most `maxKeys` agents live at once (the least recently used is
 * retired first). A retired agent is destroyed as soon as its last request
 * ends, never under a request.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Agent } from "node:https";
import { type PeerCertificate, checkServerIdentity } from "node:tls";

/** Limits of a {@link ConnectionPool}. */
export interface PoolOptions {
  /** Connections open at once per key; further requests wait for one. Default 64. */
  maxSocketsPerKey?: number;
  /** Keys (anchor set, address, port, name) kept at once. Default 32. */
  maxKeys?: number;
  /** How long an unused key keeps its connections, in ms. Default 4000. */
  idleMs?: number;
}

/** What a pooled connection is bound to; all of it is part of the key. */
export interface PoolKey {
  /** From {@link anchorSetId}: the trust the connection was verified under. */
  anchorSetId: string;
  address: string;
  port: number;
  /** The name the server certificate is checked against (and sent as SNI). */
  hostname: string;
}

/** A lease on a pooled Agent; `release()` must be called once the exchange ends. */
export interface PoolLease {
  agent: Agent;
  release(): void;
}

interface Entry {
  agent: Agent;
  route: string;
  inFlight: number;
  /** Requests waiting for a free slot, first come first served. */
  waiting: Array<() => void>;
  retired: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_KEYS = 32;
const DEFAULT_IDLE_MS = 4_000;

const setIds = new WeakMap<readonly string[], string>();

/**
 * Identifies a set of PEM anchors regardless of order or duplicates: the
 * SHA-256 over the sorted SHA-256 of each certificate's PEM block. Kept per
 * array, so the list `usableAnchors` hands out again is hashed once.
 */
export function anchorSetId(anchors: readonly string[]): string {
  const known = setIds.get(anchors);
  if (known) return known;
  const each = [...new Set(anchors.map((pem) => sha256(pem.trim())))].sort();
  const id = sha256(each.join("\n"));
  setIds.set(anchors, id);
  return id;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A bounded set of keep-alive Agents, one per {@link PoolKey}. */
export class ConnectionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly maxSockets: number;
  private readonly maxKeys: number;
  private readonly idleMs: number;

  constructor(options: PoolOptions = {}) {
    this.maxSockets = Math.max(1, options.maxSocketsPerKey ?? DEFAULT_MAX_SOCKETS);
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MAX_KEYS);
    this.idleMs = Math.max(1, options.idleMs ?? DEFAULT_IDLE_MS);
  }

  /** Keys currently held (retired agents still finishing a request are not counted). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Takes the Agent for `key`, creating it (and retiring the route's agents
   * of other anchor sets), once fewer than `maxSocketsPerKey` requests of the
   * key are in flight. Resolves to null when no slot came free in `waitMs`.
   */
  async acquire(key: PoolKey, waitMs: number): Promise<PoolLease | null> {
    const route = `${key.address}\u0000${key.port}\u0000${key.hostname}`;
    const id = `${key.anchorSetId}\u0000${route}`;
    let entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
    } else {
      // Connections verified under another anchor set are never used again for
      // this route; close them as soon as they are idle instead of waiting.
      for (const [otherId, other] of this.entries) {
        if (other.route === route) this.retire(otherId, other);
      }
      const agent = this.newAgent(key.hostname);
      entry = { agent, route, inFlight: 0, waiting: [], retired: false };
    }
    this.entries.set(id, entry);
    this.evictBeyondLimit();

    clearTimeout(entry.idleTimer);
    const held = entry;
    held.inFlight++;
    if (held.inFlight > this.maxSockets && !(await this.slot(held, waitMs))) {
      // It never held a slot, so leaving wakes no one.
      held.inFlight--;
      if (held.inFlight === 0) this.settle(id, held);
      return null;
    }
    let released = false;
    return {
      agent: held.agent,
      release: () => {
        if (released) return;
        released = true;
        this.release(id, held);
      },
    };
  }

  /** Closes every connection now, including those of requests in flight. */
  destroy(): void {
    for (const entry of this.entries.values()) {
      clearTimeout(entry.idleTimer);
      entry.agent.destroy();
    }
    this.entries.clear();
  }

  /** Waits until a request ahead of this one ends; false after `waitMs`. */
  private slot(entry: Entry, waitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = entry.waiting.indexOf(wake);
        if (at >= 0) entry.waiting.splice(at, 1);
        resolve(false);
      }, waitMs);
      entry.waiting.push(wake);
    });
  }

  private release(id: string, entry: Entry): void {
    entry.inFlight--;
    // The one leaving frees a slot only when someone was over the limit.
    if (entry.inFlight >= this.maxSockets) entry.waiting.shift()?.();
    if (entry.inFlight === 0) this.settle(id, entry);
  }

  /** A key with nothing in flight: closed now if retired, else after `idleMs`. */
  private settle(id: string, entry: Entry): void {
    if (entry.retired) entry.agent.destroy();
    else this.scheduleIdleClose(id, entry);
  }

  private newAgent(hostname: string): Agent {
    return new Agent({
      keepAlive: true,
      maxSockets: this.maxSockets,
      maxFreeSockets: this.maxSockets,
      scheduling: "lifo",
      checkServerIdentity: (_host: string, cert: PeerCertificate) =>
        checkServerIdentity(hostname, cert),
    });
  }

  private scheduleIdleClose(id: string, entry: Entry): void {
    entry.idleTimer = setTimeout(() => {
      if (entry.inFlight > 0 || this.entries.get(id) !== entry) return;
      this.entries.delete(id);
      entry.agent.destroy();
    }, this.idleMs);
    entry.idleTimer.unref?.();
  }

  private evictBeyondLimit(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys) return;
      this.retire(id, entry);
    }
  }

  private retire(id: string, entry: Entry): void {
    this.entries.delete(id);
    clearTimeout(entry.idleTimer);
    entry.retired = true;
    if (entry.inFlight === 0) entry.agent.destroy();
  }
}
