import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { ServerResponse } from "node:http";
import { parseOutboundAllow } from "./address-policy.ts";
import { type OutboundClientOptions, createOutboundClient } from "./client.ts";
import { isOutboundError } from "./errors.ts";
import { anchorSetId } from "./pool.ts";
import { type Receiver, type TestPki, makeTestPki, startReceiver } from "./test-pki.ts";

const LAB = (() => {
  const parsed = parseOutboundAllow("127.0.0.0/8");
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
})();

let pki: TestPki;
let receiver: Receiver;
const extra: Receiver[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startReceiver(pki.server);
});

afterEach(async () => {
  for (const r of extra.splice(0)) await r.close();
});

afterAll(async () => {
  await receiver.close();
  pki.remove();
});

function client(overrides: Partial<OutboundClientOptions> = {}) {
  return createOutboundClient({
    trustAnchors: () => [pki.root],
    allow: LAB,
    resolve: async () => ["127.0.0.1"],
    timeoutMs: 5_000,
    ...overrides,
  });
}

const url = (port = receiver.port) => `https://amp.example.test:${port}/updates`;
const get = { method: "GET" };

/** Bun's server reports a connection whose handshake failed a little later than others. */
const settle = () => Bun.sleep(100);

async function kindOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "delivered";
  } catch (error) {
    if (isOutboundError(error)) return error.kind;
    throw error;
  }
}

describe("connection reuse", () => {
  test("two requests under the same store share one TCP connection", async () => {
    const outbound = client();
    const before = receiver.connections();

    const first = await outbound.request(url(), { method: "POST", body: "{}" });
    const second = await outbound.request(url(), { method: "POST", body: "{}" });

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(receiver.connections()).toBe(before + 1);
    expect(second.anchorSha256).toBe(first.anchorSha256!);
    expect(receiver.requests.at(-1)?.headers.connection).toBe("keep-alive");
  });

  test("a CA removed from the store makes the next request open a new connection", async () => {
    let store = [pki.otherRoot, pki.root];
    const outbound = client({ trustAnchors: () => store });
    const before = receiver.connections();

    expect((await outbound.request(url(), get)).status).toBe(200);
    store = [pki.otherRoot];
    expect(await kindOf(outbound.request(url(), get))).toBe("tls_untrusted");
    await settle();

    expect(receiver.connections()).toBe(before + 2);
  });

  test("a CA added to the store makes the next request open a new connection", async () => {
    let store = [pki.root];
    const outbound = client({ trustAnchors: () => store });
    await settle();
    const before = receiver.connections();

    expect((await outbound.request(url(), get)).status).toBe(200);
    store = [pki.root, pki.otherRoot];
    expect((await outbound.request(url(), get)).status).toBe(200);
    expect((await outbound.request(url(), get)).status).toBe(200);

    expect(receiver.connections()).toBe(before + 2);
  });

  test("a different anchor set never reuses another set's connection", async () => {
    const sets = [[pki.root], [pki.root, pki.pinned.cert], [pki.root]];
    let turn = 0;
    const outbound = client({ trustAnchors: () => sets[turn] });
    const before = receiver.connections();

    for (turn = 0; turn < sets.length; turn++) {
      expect((await outbound.request(url(), get)).status).toBe(200);
    }

    expect(receiver.connections()).toBe(before + 3);
  });

  test("a name that resolves to another address gets a connection of its own", async () => {
    const second = await startReceiver(pki.server, undefined, {
      host: "127.0.0.2",
      port: receiver.port,
    });
    extra.push(second);
    const answers = ["127.0.0.1", "127.0.0.2"];
    let lookups = 0;
    const outbound = client({ resolve: async () => [answers[lookups++ % 2]] });
    const before = receiver.connections();

    expect((await outbound.request(url(), get)).status).toBe(200);
    expect((await outbound.request(url(), get)).status).toBe(200);

    expect(receiver.connections()).toBe(before + 1);
    expect(second.connections()).toBe(1);
    expect(second.requests.length).toBe(1);
  });

  test("a request that found its kept connection closed by the server is sent again", async () => {
    const served = new WeakMap<object, number>();
    const closing = await startReceiver(pki.server, (_req, res: ServerResponse) => {
      const count = (served.get(res.socket!) ?? 0) + 1;
      served.set(res.socket!, count);
      // The second request on a connection meets a server that just gave it up.
      if (count === 2) res.socket!.destroy();
      else res.end("ok");
    });
    extra.push(closing);
    const outbound = client();

    expect((await outbound.request(url(closing.port), { method: "POST", body: "a" })).status).toBe(
      200,
    );
    const again = await outbound.request(url(closing.port), { method: "POST", body: "b" });

    expect(again.status).toBe(200);
    expect(closing.connections()).toBe(2);
    expect(closing.requests.map((r) => r.body)).toEqual(["a", "b", "b"]);
  });
});

describe("pool limits", () => {
  test("a response cut at the body limit closes its connection instead of keeping it", async () => {
    const large = await startReceiver(pki.server, (req, res) => {
      res.end(req.path === "/large" ? "x".repeat(256 * 1024) : "small");
    });
    extra.push(large);
    const outbound = client();
    const at = (path: string) => `https://amp.example.test:${large.port}${path}`;

    expect((await outbound.request(at("/large"), get)).body.length).toBe(64 * 1024);
    const after = await outbound.request(at("/small"), get);

    expect(after.body).toBe("small");
    expect(large.connections()).toBe(2);
  });

  test("closes a key's connections once it has been idle for idleMs", async () => {
    const own = await startReceiver(pki.server);
    extra.push(own);
    const outbound = client({ pool: { idleMs: 150 } });

    expect((await outbound.request(url(own.port), get)).status).toBe(200);
    expect(own.open()).toBe(1);
    await Bun.sleep(500);
    expect(own.open()).toBe(0);
    expect((await outbound.request(url(own.port), get)).status).toBe(200);

    expect(own.connections()).toBe(2);
  });

  test("opens at most maxSocketsPerKey connections for concurrent requests", async () => {
    const slow = await startReceiver(pki.server, (_req, res) => {
      setTimeout(() => res.end("ok"), 30);
    });
    extra.push(slow);
    const outbound = client({ pool: { maxSocketsPerKey: 2 } });

    const answers = await Promise.all(
      Array.from({ length: 8 }, () => outbound.request(url(slow.port), get)),
    );

    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(slow.connections()).toBe(2);
  });

  test("retires the least recently used key beyond maxKeys, closing its connections", async () => {
    const second = await startReceiver(pki.server, undefined, { host: "127.0.0.2" });
    extra.push(second);
    const own = await startReceiver(pki.server, undefined, { port: second.port });
    extra.push(own);
    const answers = ["127.0.0.1", "127.0.0.2"];
    let lookups = 0;
    const outbound = client({
      resolve: async () => [answers[lookups++ % 2]],
      pool: { maxKeys: 1 },
    });

    expect((await outbound.request(url(own.port), get)).status).toBe(200);
    expect(own.open()).toBe(1);
    expect((await outbound.request(url(own.port), get)).status).toBe(200);
    await Bun.sleep(100);

    expect(own.open()).toBe(0);
    expect(second.open()).toBe(1);
  });

  test("with the pool off, every request has its own connection and asks to close it", async () => {
    const outbound = client({ pool: false });
    const before = receiver.connections();

    await outbound.request(url(), get);
    await outbound.request(url(), get);

    expect(receiver.connections()).toBe(before + 2);
    expect(receiver.requests.at(-1)?.headers.connection).toBe("close");
  });
});

describe("anchorSetId", () => {
  test("names a set of anchors whatever their order and repeats", () => {
    expect(anchorSetId([pki.root, pki.otherRoot])).toBe(anchorSetId([pki.otherRoot, pki.root]));
    expect(anchorSetId([pki.root, pki.root])).toBe(anchorSetId([pki.root]));
  });

  test("tells apart sets that differ by one anchor", () => {
    expect(anchorSetId([pki.root])).not.toBe(anchorSetId([pki.root, pki.otherRoot]));
    expect(anchorSetId([pki.root])).not.toBe(anchorSetId([pki.otherRoot]));
  });
});
