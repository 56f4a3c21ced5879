import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseOutboundAllow } from "./address-policy.ts";
import { createOutboundClient } from "./client.ts";
import { isOutboundError } from "./errors.ts";
import { freshRead } from "./fresh-read.ts";
import { type Receiver, type TestPki, makeTestPki, startReceiver } from "./test-pki.ts";

/** A read whose calls end only when the test says so; each call answers its number. */
function controlledRead() {
  const ends: Array<() => void> = [];
  let calls = 0;
  const read = () => {
    const n = ++calls;
    return new Promise<number>((resolve) => ends.push(() => resolve(n)));
  };
  return { read, calls: () => calls, end: (i: number) => ends[i - 1]() };
}

describe("freshRead", () => {
  test("a caller with no read running starts its own", async () => {
    const source = controlledRead();
    const shared = freshRead(source.read);

    const first = shared();
    source.end(1);

    expect(await first).toBe(1);
    expect(source.calls()).toBe(1);
  });

  test("callers arriving during a read share the next one, started after it", async () => {
    const source = controlledRead();
    const shared = freshRead(source.read);

    const early = shared();
    const late = [shared(), shared(), shared()];
    expect(source.calls()).toBe(1);
    source.end(1);
    expect(await early).toBe(1);
    await Bun.sleep(0);
    expect(source.calls()).toBe(2);
    source.end(2);

    expect(await Promise.all(late)).toEqual([2, 2, 2]);
  });

  test("a failed read fails only the callers it was started for", async () => {
    let calls = 0;
    const shared = freshRead(async () => {
      calls++;
      if (calls === 1) throw new Error("store unreadable");
      return "anchors";
    });

    const first = shared();
    const second = shared();

    await expect(first).rejects.toThrow("store unreadable");
    expect(await second).toBe("anchors");
  });
});

describe("the client's store reads", () => {
  let pki: TestPki;
  let receiver: Receiver;

  beforeAll(async () => {
    pki = makeTestPki();
    receiver = await startReceiver(pki.server);
  });

  afterAll(async () => {
    await receiver.close();
    pki.remove();
  });

  test("a request made after a CA was removed is refused while an older read runs", async () => {
    const allow = parseOutboundAllow("127.0.0.0/8");
    if (!allow.ok) throw new Error(allow.message);
    let store = [pki.root];
    const outbound = createOutboundClient({
      trustAnchors: async () => {
        const seen = store;
        await Bun.sleep(50);
        return seen;
      },
      allow: allow.cidrs,
      resolve: async () => ["127.0.0.1"],
    });
    const url = `https://amp.example.test:${receiver.port}/`;

    const before = outbound.request(url, { method: "GET" });
    await Bun.sleep(10);
    store = [pki.otherRoot];
    const after = outbound.request(url, { method: "GET" }).then(
      () => "delivered",
      (error) => (isOutboundError(error) ? error.kind : String(error)),
    );

    expect((await before).status).toBe(200);
    expect(await after).toBe("tls_untrusted");
  });
});
