import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type RunningAppliance, startAppliance } from "../../test/helpers/appliance.ts";
import { queryDatabase } from "../../test/helpers/syndication.ts";

let app: RunningAppliance;

beforeAll(async () => {
  app = await startAppliance();
});

afterAll(async () => {
  await app.stop();
  app.cleanup();
});

const valid = { url: "https://10.20.30.40:8443/dus", username: "amp", password: "pw-1" };

async function serviceCount(): Promise<number> {
  return (await app.call("GET", "/api/v1/disposition-services")).json.items.length;
}

describe("disposition services refuse bad input and save nothing", () => {
  const refusals: [string, Record<string, unknown>, number, string][] = [
    ["a non-https URL", { ...valid, url: "http://10.20.30.40/dus" }, 422, "url_not_https"],
    ["a URL with credentials", { ...valid, url: "https://u:p@10.20.30.40/" }, 422, "url_invalid"],
    ["an unknown field", { ...valid, token: "x" }, 400, "invalid_request"],
    ["an empty password", { ...valid, password: "" }, 400, "invalid_request"],
    ["a missing username", { url: valid.url, password: "pw" }, 400, "invalid_request"],
    ["port 0 in the URL", { ...valid, url: "https://10.20.30.40:0/dus" }, 422, "url_invalid"],
  ];
  for (const [what, body, status, code] of refusals) {
    test(`refuses ${what} with ${status} ${code}`, async () => {
      const before = await serviceCount();
      const res = await app.call("POST", "/api/v1/disposition-services", { json: body });
      expect(res.status).toBe(status);
      expect(res.json.code).toBe(code);
      expect(res.json.detail.length).toBeGreaterThan(20);
      expect(await serviceCount()).toBe(before);
    });
  }

  test("names the unknown field in errors", async () => {
    const res = await app.call("POST", "/api/v1/disposition-services", {
      json: { ...valid, token: "x" },
    });
    expect(res.json.errors).toEqual([
      {
        path: "/token",
        message: "is not a field of this request: remove it (see the API reference)",
      },
    ]);
  });

  test("names a missing field as required, not as unknown", async () => {
    const { password: _password, ...withoutPassword } = valid;
    const res = await app.call("POST", "/api/v1/disposition-services", {
      json: withoutPassword,
    });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ path: "/password", message: "is required" }]);
  });
});

describe("D9: service URLs that reach the appliance or its metadata are refused", () => {
  const forbidden = [
    "https://127.0.0.1:9443/",
    "https://localhost/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://2130706433/",
    "https://0.0.0.0/",
    "https://169.254.169.254/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://[2002:7f00:1::]/",
    "https://[::ffff:0:127.0.0.1]/",
  ];
  for (const url of forbidden) {
    test(`refuses ${url} at create and at update`, async () => {
      const created = await app.call("POST", "/api/v1/disposition-services", {
        json: { ...valid, url },
      });
      expect(created.status).toBe(422);
      expect(created.json.code).toBe("address_forbidden");

      const ok = await app.call("POST", "/api/v1/disposition-services", { json: valid });
      const patched = await app.call("PATCH", `/api/v1/disposition-services/${ok.json.id}`, {
        json: { url, password: "new" },
      });
      expect(patched.status).toBe(422);
      expect(patched.json.code).toBe("address_forbidden");
      const after = await app.call("GET", `/api/v1/disposition-services/${ok.json.id}`);
      expect(after.json.url).toBe(valid.url);
      await app.call("DELETE", `/api/v1/disposition-services/${ok.json.id}`);
    });
  }

  test("accepts the private ranges AMP Private Cloud lives in", async () => {
    for (const url of ["https://10.1.2.3/", "https://172.16.5.6/", "https://192.168.1.10/"]) {
      const res = await app.call("POST", "/api/v1/disposition-services", {
        json: { ...valid, url },
      });
      expect(res.status).toBe(201);
      await app.call("DELETE", `/api/v1/disposition-services/${res.json.id}`);
    }
  });
});

describe("credentials that HTTP Basic cannot carry are refused", () => {
  const refused: [string, Record<string, string>, string, string][] = [
    ["a colon in the username", { username: "amp:ops" }, "/username", "colon"],
    ["a CR LF in the username", { username: "amp\r\nops" }, "/username", "control"],
    ["a NUL in the username", { username: "amp\u0000" }, "/username", "control"],
    ["a line feed in the password", { password: "pw\nX-Injected: 1" }, "/password", "control"],
    ["a NUL in the password", { password: "pw\u0000" }, "/password", "control"],
  ];
  for (const [what, change, path, why] of refused) {
    test(`refuses ${what} with 400 naming ${path}, at create and at update`, async () => {
      const before = await serviceCount();
      const created = await app.call("POST", "/api/v1/disposition-services", {
        json: { ...valid, ...change },
      });
      expect(created.status).toBe(400);
      expect(created.json.code).toBe("invalid_request");
      expect(created.json.errors.map((e: any) => e.path)).toEqual([path]);
      expect(created.json.errors[0].message).toContain(why);
      expect(await serviceCount()).toBe(before);

      const id = (await app.call("POST", "/api/v1/disposition-services", { json: valid })).json.id;
      const patched = await app.call("PATCH", `/api/v1/disposition-services/${id}`, {
        json: change,
      });
      expect(patched.status).toBe(400);
      expect(patched.json.errors.map((e: any) => e.path)).toEqual([path]);
      await app.call("DELETE", `/api/v1/disposition-services/${id}`);
    });
  }

  test("accepts a colon in the password: Basic splits at the first colon only", async () => {
    const res = await app.call("POST", "/api/v1/disposition-services", {
      json: { ...valid, password: "pa:ss:word" },
    });
    expect(res.status).toBe(201);
    await app.call("DELETE", `/api/v1/disposition-services/${res.json.id}`);
  });
});

describe("a service URL's query and user info never reach logs or the audit", () => {
  test("logs and audits origin and path only, on add, on delete and as a dependent", async () => {
    const url = "https://10.20.30.40:8443/dus?api_key=K3y-In-Query&token=T0ken-In-Query";
    const created = await app.call("POST", "/api/v1/disposition-services", {
      json: { ...valid, url },
    });
    expect(created.status).toBe(201);
    expect(created.json.url).toBe(url);
    await app.call("DELETE", `/api/v1/disposition-services/${created.json.id}`);

    const added = app.logs
      .split("\n")
      .filter((line) => line.includes('"disposition service added"'))
      .map((line) => JSON.parse(line))
      .find((entry) => entry.service === created.json.id);
    expect(added.url).toBe("https://10.20.30.40:8443/dus");
    const audit = await queryDatabase(
      app,
      "SELECT detail FROM audit_events WHERE target = ? AND action LIKE 'disposition_service.%'",
      [String(created.json.id)],
    );
    expect(audit.length).toBe(2);
    const everything = app.logs + JSON.stringify(audit);
    for (const secret of ["K3y-In-Query", "T0ken-In-Query"]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe("the password is write-only", () => {
  test("D10: no response carries the password; password_set says one is stored", async () => {
    const created = await app.call("POST", "/api/v1/disposition-services", { json: valid });
    expect(created.status).toBe(201);
    expect(created.json.password_set).toBe(true);
    const id = created.json.id;
    const reads = [
      created,
      await app.call("GET", "/api/v1/disposition-services"),
      await app.call("GET", `/api/v1/disposition-services/${id}`),
      await app.call("PATCH", `/api/v1/disposition-services/${id}`, { json: { name: "amp" } }),
      await app.call("GET", `/api/v1/disposition-services/${id}/deliveries`),
      await app.call("GET", "/api/v1/settings"),
    ];
    for (const res of reads) expect(res.text).not.toContain(valid.password);
    expect(app.logs).not.toContain(valid.password);
  });

  test("a PATCH that moves the URL to another host or port needs the password again", async () => {
    const id = (await app.call("POST", "/api/v1/disposition-services", { json: valid })).json.id;
    for (const url of ["https://10.20.30.41:8443/dus", "https://10.20.30.40:9443/dus"]) {
      const res = await app.call("PATCH", `/api/v1/disposition-services/${id}`, { json: { url } });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("password_required");
    }
    const samePlace = await app.call("PATCH", `/api/v1/disposition-services/${id}`, {
      json: { url: "https://10.20.30.40:8443/other-path" },
    });
    expect(samePlace.status).toBe(200);
    const moved = await app.call("PATCH", `/api/v1/disposition-services/${id}`, {
      json: { url: "https://10.20.30.41/dus", password: "pw-2" },
    });
    expect(moved.status).toBe(200);
    expect(moved.json.url).toBe("https://10.20.30.41/dus");
  });

  test("a PATCH with an empty password is refused and changes nothing", async () => {
    const id = (await app.call("POST", "/api/v1/disposition-services", { json: valid })).json.id;
    const res = await app.call("PATCH", `/api/v1/disposition-services/${id}`, {
      json: { password: "", name: "renamed" },
    });
    expect(res.status).toBe(400);
    expect((await app.call("GET", `/api/v1/disposition-services/${id}`)).json.name).toBe(
      "10.20.30.40:8443",
    );
  });

  test("every change is in the audit log, without the password", async () => {
    const rows = await queryDatabase(
      app,
      "SELECT action, detail FROM audit_events WHERE action LIKE 'disposition_service.%'",
    );
    const actions = new Set(rows.map((r) => r.action));
    expect([...actions].sort()).toEqual([
      "disposition_service.create",
      "disposition_service.delete",
      "disposition_service.update",
    ]);
    for (const row of rows) expect(String(row.detail)).not.toContain(valid.password);
  });
});
