import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AddressInfo, type Socket, createServer as createTcpServer } from "node:net";
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
    if (req.headers.authorization !== BASIC) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="amp"' }).end();
      return;
    }
    const answers: Record<string, () => void> = {
      "/moved?key=k": () => res.writeHead(302, { location: "/v2/updates" }).end(),
      "/moved-nowhere": () => res.writeHead(307).end(),
      // A redirect that hands back the credentials it was sent, in userinfo and query.
      "/echo-credentials": () =>
        res
          .writeHead(302, {
            location: `https://portico:pw-secret@amp.example.test/moved?${BASIC}#frag`,
          })
          .end(),
      "/broken": () => res.writeHead(500).end(),
      "/unavailable": () => res.writeHead(503).end(),
      "/missing": () => res.writeHead(404).end(),
      "/post-only": () => res.writeHead(405, { allow: "POST" }).end(),
      "/slow-down": () => res.writeHead(429).end(),
      "/bad": () => res.writeHead(400).end(),
    };
    (answers[req.path] ?? (() => res.end("hello")))();
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

  describe("the http step passes only an answer a delivery would count as delivered", () => {
    const port = () => receiver.port;
    const failing: Array<[string, () => string]> = [
      [
        "/moved?key=k",
        () =>
          `HTTP 302: the service redirects to https://amp.example.test:${port()}/v2/updates; ` +
          "deliveries do not follow redirects, so every delivery would fail: " +
          "put that URL in the service",
      ],
      [
        "/echo-credentials",
        () =>
          "HTTP 302: the service redirects to https://amp.example.test/moved; deliveries " +
          "do not follow redirects, so every delivery would fail: put that URL in the service",
      ],
      [
        "/moved-nowhere",
        () =>
          "HTTP 307: the service redirects to another URL (it sent no Location); deliveries " +
          "do not follow redirects, so every delivery would fail: put that URL in the service",
      ],
      [
        "/broken",
        () =>
          "HTTP 500: the service reports an error of its own; deliveries would be retried " +
          "until it answers 2xx — look at the service's logs",
      ],
      [
        "/unavailable",
        () =>
          "HTTP 503: the service reports an error of its own; deliveries would be retried " +
          "until it answers 2xx — look at the service's logs",
      ],
      [
        "/missing",
        () =>
          "HTTP 404: the service has nothing at /missing — check the path of the URL " +
          "against the service's documentation",
      ],
      [
        "/slow-down",
        () =>
          "HTTP 429: the service asks the appliance to slow down; deliveries would wait and " +
          "retry — run the check again later",
      ],
      [
        "/bad",
        () =>
          "HTTP 400: the service refused the request (the check sent a GET to " +
          `https://amp.example.test:${port()}/bad, not an update); a delivery answered 400 ` +
          "fails — check the URL",
      ],
    ];
    for (const [path, detail] of failing) {
      test(`fails the check when ${path} answers as a delivery would not count`, async () => {
        const url = `https://amp.example.test:${port()}${path}`;
        const result = await client().check(url, CREDENTIALS);
        expect(result.ok).toBe(false);
        expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
          ["dns", true],
          ["tcp", true],
          ["tls", true],
          ["http", false],
        ]);
        expect(result.steps[3].detail).toBe(detail());
      });
    }

    test("counts 405 to its GET as reachable, saying the credentials were not proven", async () => {
      const url = `https://amp.example.test:${port()}/post-only`;
      const result = await client().check(url, CREDENTIALS);
      expect(result.ok).toBe(true);
      expect(result.steps[3]).toEqual({
        step: "http",
        ok: true,
        detail:
          "HTTP 405: the service does not take GET here, as a service that takes only POST " +
          `answers (the check sent a GET to https://amp.example.test:${port()}/post-only, ` +
          "not an update); the path exists, but the user and password were not proven",
      });
    });
  });

  describe("the whole check ends within its time budget, naming the step that ran out", () => {
    test("a service that answers after 20 s fails the http step within the budget", async () => {
      const timers: Array<ReturnType<typeof setTimeout>> = [];
      const slow = await startReceiver(pki.server, (_req, res) => {
        timers.push(setTimeout(() => res.end("late"), 20_000));
      });
      try {
        const started = Date.now();
        const result = await client({ checkBudgetMs: 2_000 }).check(
          `https://amp.example.test:${slow.port}/`,
          CREDENTIALS,
        );
        const elapsed = Date.now() - started;
        expect(elapsed).toBeLessThan(2_500);
        expect(result.ok).toBe(false);
        expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
          ["dns", true],
          ["tcp", true],
          ["tls", true],
          ["http", false],
        ]);
        const { detail } = result.steps[3];
        expect(detail).toMatch(/^amp\.example\.test sent no HTTP answer within (1\.\d|2) s, /);
        expect(detail).toEndWith(
          "the time left of the check's 2 s — is the service overloaded, " +
            "or is this port serving something else?",
        );
        expect(slow.requests.length).toBe(1);
      } finally {
        for (const timer of timers) clearTimeout(timer);
        await slow.close();
      }
    });

    test("a port that accepts TCP but never speaks TLS fails the tls step early", async () => {
      const sockets: Socket[] = [];
      const silent = createTcpServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const silentPort = (silent.address() as AddressInfo).port;
      try {
        const started = Date.now();
        const result = await client({ checkBudgetMs: 2_000 }).check(
          `https://amp.example.test:${silentPort}/`,
          CREDENTIALS,
        );
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(result).toEqual({
          ok: false,
          steps: [
            { step: "dns", ok: true, detail: "amp.example.test resolves to 127.0.0.1" },
            { step: "tcp", ok: true, detail: `Connected to 127.0.0.1:${silentPort}` },
            {
              step: "tls",
              ok: false,
              detail:
                `No TLS handshake with 127.0.0.1:${silentPort} within 0.6 s — ` +
                "is this port serving HTTPS?",
            },
          ],
        });
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    test("a lookup that never returns fails the dns step within the budget", async () => {
      const hung = client({ checkBudgetMs: 1_000, resolve: () => new Promise(() => {}) });
      const result = await hung.check("https://amp.example.test/");
      expect(result).toEqual({
        ok: false,
        steps: [
          {
            step: "dns",
            ok: false,
            detail: "The lookup of amp.example.test took longer than 0.3 s: check the DNS servers",
          },
        ],
      });
    });
  });
});
