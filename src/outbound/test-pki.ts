/**
 * Test helpers for the outbound client: a throw-away PKI made with openssl
 * and a real HTTPS receiver on 127.0.0.1 that records what reaches it.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import type { TLSSocket } from "node:tls";
import { join } from "node:path";

/** The certificates of one test PKI, as PEM text and as files. */
export interface TestPki {
  dir: string;
  /** The root CA that signs `server`. */
  root: string;
  rootPath: string;
  /** A root CA that signs nothing the receiver shows. */
  otherRoot: string;
  /** Names `localhost`, `amp.example.test` and 127.0.0.1; signed by `root`. */
  server: { cert: string; key: string };
  /** Self-signed, CA:FALSE, names `amp.example.test`: a pinned anchor. */
  pinned: { cert: string; key: string };
  remove(): void;
}

/** Runs openssl in `dir`: a space-separated command, then arguments that hold spaces. */
function openssl(dir: string, command: string, ...args: string[]): void {
  execFileSync("openssl", [...command.split(" "), ...args], { cwd: dir, stdio: "pipe" });
}

const EC_KEY = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

function makeRoot(dir: string, name: string, cn: string): void {
  openssl(
    dir,
    `req -x509 ${EC_KEY} -keyout ${name}.key -out ${name}.pem -days 2`,
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
}

/** Creates a root CA, an unrelated root, a server certificate and a pinned one. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "portico-outbound-"));
  makeRoot(dir, "root", "Portico Test Root");
  makeRoot(dir, "other", "Unrelated Test Root");

  openssl(dir, `req -new ${EC_KEY} -keyout server.key -out server.csr -subj /CN=localhost`);
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,DNS:amp.example.test,IP:127.0.0.1\n" +
      "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    dir,
    "x509 -req -in server.csr -CA root.pem -CAkey root.key -CAcreateserial " +
      "-out server.pem -days 2 -extfile server.ext",
  );

  openssl(
    dir,
    `req -x509 ${EC_KEY} -keyout pinned.key -out pinned.pem -days 2 -subj /CN=amp.example.test`,
    "-addext",
    "subjectAltName=DNS:amp.example.test",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
  );

  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    dir,
    root: read("root.pem"),
    rootPath: join(dir, "root.pem"),
    otherRoot: read("other.pem"),
    server: { cert: read("server.pem"), key: read("server.key") },
    pinned: { cert: read("pinned.pem"), key: read("pinned.key") },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A running HTTPS receiver. */
export interface Receiver {
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  /** TCP connections open now. */
  open(): number;
  /** The SNI name of each TLS connection, `false` when none was sent. */
  servernames: Array<string | false>;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

type Handler = (req: ReceivedRequest, res: ServerResponse) => void;

/**
 * Starts an HTTPS receiver with the given certificate on 127.0.0.1 (or
 * another loopback address) and a free port (or the one given). The
 * handler answers; by default every request gets `200 ok`.
 */
export async function startReceiver(
  identity: { cert: string; key: string },
  handler: Handler = (_req, res) => res.end("ok"),
  listenOn: { host?: string; port?: number } = {},
): Promise<Receiver> {
  let connections = 0;
  let open = 0;
  const requests: ReceivedRequest[] = [];
  const server = createServer(identity, (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const seen = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      requests.push(seen);
      handler(seen, res);
    });
  });
  const servernames: Array<string | false> = [];
  server.on("connection", (socket: { once(event: "close", fn: () => void): void }) => {
    connections++;
    open++;
    socket.once("close", () => open--);
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    servernames.push(socket.servername ?? false);
  });

  const host = listenOn.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(listenOn.port ?? 0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    open: () => open,
    servernames,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function unusedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
