import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Server, type Socket, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { parseOutboundAllow } from "./address-policy.ts";
import { type OutboundClientOptions, createOutboundClient } from "./client.ts";
import { type OutboundError, isOutboundError } from "./errors.ts";
import { type Receiver, type TestPki, makeTestPki, startReceiver, unusedPort } from "./test-pki.ts";

const LAB = (() => {
  const parsed = parseOutboundAllow("127.0.0.0/8");
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
})();

/** Maps every name to 127.0.0.1, as /etc/hosts would in a lab. */
const toLoopback = async () => ["127.0.0.1"];

let pki: TestPki;
let receiver: Receiver;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startReceiver(pki.server, (req, res) => {
    if (req.path === "/moved") {
      res.writeHead(302, { location: "https://elsewhere.example.test/" }).end();
    } else if (req.path === "/large") {
      res.end("x".repeat(100 * 1024));
    } else {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.end(`received ${req.method}`);
    }
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
    resolve: toLoopback,
    timeoutMs: 5_000,
    ...overrides,
  });
}

async function failure(work: Promise<unknown>): Promise<OutboundError> {
  try {
    await work;
  } catch (error) {
    if (isOutboundError(error)) return error;
    throw error;
  }
  throw new Error("the request succeeded");
}

const url = (path = "/") => `https://amp.example.test:${receiver.port}${path}`;

describe("delivery", () => {
  test("delivers a POST with its headers and body when the CA is in the store", async () => {
    const before = receiver.requests.length;
    const response = await client().request(url("/updates?v=1"), {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "ev-1" },
      body: '{"disposition":"malicious"}',
    });

    expect(response.status).toBe(200);
    expect(response.body).toBe("received POST");
    expect(response.headers["set-cookie"]).toBe("a=1, b=2");
    const seen = receiver.requests[before];
    expect(seen.path).toBe("/updates?v=1");
    expect(seen.body).toBe('{"disposition":"malicious"}');
    expect(seen.headers.host).toBe(`amp.example.test:${receiver.port}`);
    expect(seen.headers["idempotency-key"]).toBe("ev-1");
    expect(seen.headers["user-agent"]).toBe("Portico");
    expect(receiver.servernames.at(-1)).toBe("amp.example.test");
  });

  test("checks an address URL against the certificate's IP names and sends no SNI", async () => {
    const response = await client().request(`https://127.0.0.1:${receiver.port}/`, {
      method: "GET",
    });
    expect(response.status).toBe(200);
    expect(receiver.requests.at(-1)?.headers.host).toBe(`127.0.0.1:${receiver.port}`);
    expect(receiver.servernames.at(-1)).toBe(false);
  });

  test("returns a redirect as it is instead of following it", async () => {
    const before = receiver.requests.length;
    const response = await client().request(url("/moved"), { method: "GET" });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("https://elsewhere.example.test/");
    expect(receiver.requests.length).toBe(before + 1);
  });

  test("keeps only the first 64 KiB of a response body", async () => {
    const response = await client().request(url("/large"), { method: "GET" });
    expect(response.body.length).toBe(64 * 1024);
  });

  test("trusts a pinned self-signed server certificate given as the anchor", async () => {
    const pinned = await startReceiver(pki.pinned);
    try {
      const outbound = client({ trustAnchors: () => [pki.pinned.cert] });
      const response = await outbound.request(`https://amp.example.test:${pinned.port}/`, {
        method: "GET",
      });
      expect(response.status).toBe(200);
    } finally {
      await pinned.close();
    }
  });
});

describe("trust", () => {
  test("refuses a server whose CA is not in the store, keeping the reason", async () => {
    const outbound = client({ trustAnchors: () => [pki.otherRoot] });
    const error = await failure(outbound.request(url(), { method: "GET" }));
    expect(error.kind).toBe("tls_untrusted");
    expect(error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(error.address).toBe("127.0.0.1");
  });

  test("refuses a self-signed server certificate that is not pinned", async () => {
    const pinned = await startReceiver(pki.pinned);
    try {
      const error = await failure(
        client().request(`https://amp.example.test:${pinned.port}/`, { method: "GET" }),
      );
      expect(error.kind).toBe("tls_untrusted");
      expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      expect(error.reason).toMatch(/self[- ]signed certificate/);
    } finally {
      await pinned.close();
    }
  });

  test("refuses a certificate that does not name the host", async () => {
    const error = await failure(
      client().request(`https://wrong.example.test:${receiver.port}/`, { method: "GET" }),
    );
    expect(error.kind).toBe("tls_untrusted");
    expect(error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(error.reason).toContain("Hostname/IP does not match certificate's altnames");
  });

  test("sends nothing and opens no connection when the CA store is empty", async () => {
    let lookups = 0;
    const before = receiver.connections();
    const outbound = client({
      trustAnchors: async () => ["  "],
      resolve: async () => {
        lookups++;
        return ["127.0.0.1"];
      },
    });
    const error = await failure(outbound.request(url(), { method: "POST", body: "{}" }));
    expect(error.kind).toBe("no_trust_anchors");
    expect(lookups).toBe(0);
    expect(receiver.connections()).toBe(before);
  });

  test("stops trusting a CA as soon as it is removed from the store", async () => {
    let store = [pki.otherRoot, pki.root];
    const outbound = client({ trustAnchors: () => store });
    const before = receiver.connections();

    expect((await outbound.request(url(), { method: "GET" })).status).toBe(200);
    store = [pki.otherRoot];
    const error = await failure(outbound.request(url(), { method: "GET" }));

    expect(error.kind).toBe("tls_untrusted");
    expect(receiver.connections()).toBe(before + 2);
  });

  test("skips a store entry that is not a certificate and trusts the rest", async () => {
    const garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const outbound = client({ trustAnchors: () => [garbage, "not a PEM", pki.root] });
    expect((await outbound.request(url(), { method: "GET" })).status).toBe(200);
  });

  test("trusts every certificate of a bundle given as one store entry", async () => {
    const outbound = client({ trustAnchors: () => [pki.otherRoot + pki.root] });
    expect((await outbound.request(url(), { method: "GET" })).status).toBe(200);
  });

  test("treats a store holding only unreadable entries as empty", async () => {
    const outbound = client({ trustAnchors: () => ["not a PEM"] });
    const error = await failure(outbound.request(url(), { method: "GET" }));
    expect(error.kind).toBe("no_trust_anchors");
  });

  test("refuses a header value holding a line break, naming only the header", async () => {
    const before = receiver.connections();
    const error = await failure(
      client().request(url(), {
        method: "POST",
        headers: { authorization: "Basic c2VjcmV0\r\nx-injected: 1" },
      }),
    );
    expect(error.kind).toBe("request_invalid");
    expect(error.message).toContain("authorization");
    expect(error.message).not.toContain("c2VjcmV0");
    expect(receiver.connections()).toBe(before);
  });

  test("never puts the Authorization header or a URL password in an error", async () => {
    const outbound = client({ trustAnchors: () => [pki.otherRoot] });
    const error = await failure(
      outbound.request(url(), { method: "POST", headers: { authorization: "Basic c2VjcmV0" } }),
    );
    const withUrlPassword = await failure(
      client().request(`https://amp:s3cret@amp.example.test:${receiver.port}/`, {
        method: "GET",
      }),
    );

    expect(error.message).not.toContain("c2VjcmV0");
    expect(withUrlPassword.kind).toBe("url_invalid");
    expect(withUrlPassword.message).not.toContain("s3cret");
  });
});

describe("addresses", () => {
  test("refuses loopback unless PORTICO_OUTBOUND_ALLOW opens it", async () => {
    const before = receiver.connections();
    const error = await failure(
      client({ allow: [] }).request(`https://127.0.0.1:${receiver.port}/`, { method: "GET" }),
    );
    expect(error.kind).toBe("address_forbidden");
    expect(receiver.connections()).toBe(before);
  });

  test("refuses a name that resolves to 127.0.0.1 without connecting", async () => {
    const before = receiver.connections();
    const error = await failure(client({ allow: [] }).request(url(), { method: "GET" }));
    expect(error.kind).toBe("address_forbidden");
    expect(error.message).toStartWith("amp.example.test resolves to 127.0.0.1:");
    expect(receiver.connections()).toBe(before);
  });

  test("connects to the checked address without a second lookup", async () => {
    const answers = [["127.0.0.1"], ["169.254.169.254"]];
    let lookups = 0;
    const outbound = client({ resolve: async () => answers[lookups++] });

    const response = await outbound.request(url(), { method: "GET" });

    expect(response.status).toBe(200);
    expect(lookups).toBe(1);
  });

  test("reports a name that does not resolve as dns_failed", async () => {
    const outbound = client({ resolve: undefined });
    const error = await failure(
      outbound.request("https://no-such-host.invalid/", { method: "GET" }),
    );
    expect(error.kind).toBe("dns_failed");
  });

  test("reports a closed port as connect_failed", async () => {
    const closed = await unusedPort();
    const error = await failure(
      client().request(`https://127.0.0.1:${closed}/`, { method: "GET" }),
    );
    expect(error.kind).toBe("connect_failed");
    expect(error.code).toBe("ECONNREFUSED");
  });
});

describe("timeout", () => {
  test("fires when the service accepts the request and never answers", async () => {
    const silent = await startReceiver(pki.server, () => {});
    try {
      const started = Date.now();
      const error = await failure(
        client({ timeoutMs: 300 }).request(`https://amp.example.test:${silent.port}/`, {
          method: "GET",
        }),
      );
      expect(error.kind).toBe("timeout");
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(silent.requests.length).toBe(1);
    } finally {
      await silent.close();
    }
  });

  test("fires when the service accepts TCP and never starts TLS", async () => {
    const sockets: Socket[] = [];
    const mute: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    try {
      const port = (mute.address() as AddressInfo).port;
      const error = await failure(
        client({ timeoutMs: 300 }).request(`https://127.0.0.1:${port}/`, { method: "GET" }),
      );
      expect(error.kind).toBe("timeout");
      expect(error.message).toContain("stopped during tls");
    } finally {
      for (const socket of sockets) socket.destroy();
      mute.close();
    }
  });
});
