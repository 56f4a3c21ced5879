import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseOutboundAllow } from "./address-policy.ts";
import { type OutboundClientOptions, createOutboundClient } from "./client.ts";
import { type Receiver, type TestPki, makeTestPki, startReceiver, unusedPort } from "./test-pki.ts";

const LAB = (() => {
  const parsed = parseOutboundAllow("127.0.0.0/8");
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
})();

const CREDENTIALS = { username: "amp", password: "right" };
const BASIC = `Basic ${Buffer.from("amp:right").toString("base64")}`;

let pki: TestPki;
let receiver: Receiver;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startReceiver(pki.server, (req, res) => {
    if (req.headers.authorization === BASIC) res.end("hello");
    else res.writeHead(401, { "www-authenticate": 'Basic realm="amp"' }).end();
  });
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
    timeoutMs: 3_000,
    ...overrides,
  });
}

describe("check", () => {
  test("passes every step when the service trusts the user and password", async () => {
    const url = `https://amp.example.test:${receiver.port}/updates`;
    const before = receiver.requests.length;

    const result = await client().check(url, CREDENTIALS);

    expect(result).toEqual({
      ok: true,
      steps: [
        { step: "dns", ok: true, detail: "amp.example.test resolves to 127.0.0.1" },
        { step: "tcp", ok: true, detail: `Connected to 127.0.0.1:${receiver.port}` },
        {
          step: "tls",
          ok: true,
          detail: "The certificate of amp.example.test is trusted and names it",
        },
        { step: "http", ok: true, detail: "HTTP 200: the service answered" },
      ],
    });
    expect(receiver.requests[before].method).toBe("GET");
    expect(receiver.requests[before].path).toBe("/updates");
  });

  test("stops at dns when the name does not resolve", async () => {
    const result = await client({ resolve: undefined }).check("https://no-such-host.invalid/");
    expect(result.ok).toBe(false);
    expect(result.steps).toEqual([
      {
        step: "dns",
        ok: false,
        detail:
          "no-such-host.invalid does not resolve (ENOTFOUND): " +
          "add it to the DNS or to /etc/hosts on the appliance",
      },
    ]);
  });

  test("stops at dns when the name resolves to a forbidden address", async () => {
    const result = await client({ allow: [] }).check("https://amp.example.test/");
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([["dns", false]]);
    expect(result.steps[0].detail).toContain("PORTICO_OUTBOUND_ALLOW");
  });

  test("stops at tcp when nothing listens on the port", async () => {
    const advice = "is the service running, and on this port?";
    const port = await unusedPort();
    const result = await client().check(`https://amp.example.test:${port}/`);
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toEqual({
      step: "tcp",
      ok: false,
      detail: `Connection refused on 127.0.0.1:${port} — ${advice}`,
    });
  });

  test("stops at tls naming the CA that is missing from the store", async () => {
    const outbound = client({ trustAnchors: () => [pki.otherRoot] });
    const result = await outbound.check(`https://amp.example.test:${receiver.port}/`);
    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["dns", true],
      ["tcp", true],
      ["tls", false],
    ]);
    expect(result.steps[2].detail).toBe(
      "The certificate of amp.example.test (CN=localhost) is signed by " +
        "CN=Portico Test Root, which is not in the CA store: add it under CA certificates",
    );
  });

  test("stops at tls when the certificate does not name the host", async () => {
    const result = await client().check(`https://wrong.example.test:${receiver.port}/`);
    expect(result.steps.at(-1)).toEqual({
      step: "tls",
      ok: false,
      detail:
        "The certificate of the service names DNS:localhost, DNS:amp.example.test, " +
        "IP Address:127.0.0.1, not wrong.example.test: use one of those names in the URL, " +
        "or have the certificate reissued",
    });
  });

  test("stops at tls without a handshake when the CA store is empty", async () => {
    const result = await client({ trustAnchors: () => [] }).check(
      `https://amp.example.test:${receiver.port}/`,
    );
    expect(result.steps.at(-1)).toEqual({
      step: "tls",
      ok: false,
      detail:
        "The CA store holds no usable certificate, so nothing is trusted: " +
        "add the service's certificate or its CA under CA certificates",
    });
  });

  test("tells a self-signed certificate apart from a missing CA", async () => {
    const pinned = await startReceiver(pki.pinned);
    try {
      const result = await client().check(`https://amp.example.test:${pinned.port}/`);
      expect(result.steps.at(-1)).toEqual({
        step: "tls",
        ok: false,
        detail:
          "amp.example.test presents a self-signed certificate (CN=amp.example.test) " +
          "that is not in the CA store: add that certificate under CA certificates",
      });
    } finally {
      await pinned.close();
    }
  });

  test("stops at http when the service rejects the user and password", async () => {
    const url = `https://amp.example.test:${receiver.port}/`;
    const result = await client().check(url, { username: "amp", password: "wrong" });
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toEqual({
      step: "http",
      ok: false,
      detail: "HTTP 401: the service rejected the user and password — check them",
    });
    expect(JSON.stringify(result)).not.toContain("wrong");
  });
});
