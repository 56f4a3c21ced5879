import { describe, expect, test } from "bun:test";
import { checkAddress, checkServiceUrl, parseOutboundAllow } from "./address-policy.ts";
import type { Cidr } from "./ip.ts";
import { resolveServiceTarget } from "./resolve.ts";

const allow = (text: string): Cidr[] => {
  const parsed = parseOutboundAllow(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
};

describe("checkServiceUrl", () => {
  // Row D9: each of these reaches the appliance itself or its metadata service.
  const refused: Array<[string, string]> = [
    ["https://127.0.0.1:8443/", "127.0.0.1 is a loopback address"],
    ["https://localhost/", "localhost names this appliance itself"],
    ["https://LOCALHOST./", "localhost names this appliance itself"],
    ["https://amp.localhost/", "amp.localhost names this appliance itself"],
    ["https://[::1]/", "::1 is a loopback address"],
    ["https://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is an IPv6 form of 127.0.0.1"],
    ["https://[::ffff:7f00:1]/", "::ffff:7f00:1 is an IPv6 form of 127.0.0.1"],
    ["https://2130706433/", "127.0.0.1 is a loopback address"],
    ["https://0x7f000001/", "127.0.0.1 is a loopback address"],
    ["https://0177.0.0.1/", "127.0.0.1 is a loopback address"],
    ["https://127.1/", "127.0.0.1 is a loopback address"],
    ["https://0.0.0.0/", "0.0.0.0 is an unspecified address"],
    ["https://[::]/", ":: is an unspecified address"],
    ["https://169.254.169.254/", "169.254.169.254 is the cloud metadata address"],
    ["https://169.254.1.1/", "169.254.1.1 is a link-local address"],
    ["https://[fe80::1]/", "fe80::1 is a link-local address"],
    ["https://[::ffff:169.254.169.254]/", "is an IPv6 form of 169.254.169.254"],
    ["https://224.0.0.1/", "224.0.0.1 is a multicast address"],
    ["https://[ff02::1]/", "ff02::1 is a multicast address"],
    ["https://255.255.255.255/", "255.255.255.255 is the broadcast address"],
    ["https://[fd00:ec2::254]/", "fd00:ec2::254 is AWS's IPv6 instance metadata address"],
    ["https://100.100.100.200/", "100.100.100.200 is Alibaba Cloud's metadata address"],
    ["https://[2002:7f00:1::]/", "2002:7f00:1:: is an IPv6 form of 127.0.0.1"],
    ["https://[2002:a9fe:a9fe::1]/", "is an IPv6 form of 169.254.169.254"],
    ["https://[::ffff:0:127.0.0.1]/", "::ffff:0:7f00:1 is an IPv6 form of 127.0.0.1"],
    ["https://[64:ff9b:1::7f00:1]/", "64:ff9b:1::7f00:1 is an IPv6 form of 127.0.0.1"],
    ["https://[2001:0:1:2:3:4:80ff:fffe]/", "is an IPv6 form of 127.0.0.1"],
    ["https://[2001:db8::5efe:7f00:1]/", "2001:db8::5efe:7f00:1 is an IPv6 form of 127.0.0.1"],
    ["https://[2001:db8::200:5efe:a9fe:a9fe]/", "is an IPv6 form of 169.254.169.254"],
  ];

  for (const [url, why] of refused) {
    test(`refuses ${url} as address_forbidden, naming the address and the way to open it`, () => {
      const result = checkServiceUrl(url, []);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe("address_forbidden");
      expect(result.message).toContain(why);
      expect(result.message).toContain("PORTICO_OUTBOUND_ALLOW");
    });
  }

  const accepted = [
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1:8443/updates",
    "https://amp.example.test/",
    "https://[2001:db8::1]/",
    "https://8.8.8.8/",
    "https://100.100.100.201/",
    "https://[fd00:ec2::253]/",
    "https://[2002:a01:203::1]/",
    "https://[::ffff:0:10.1.2.3]/",
  ];
  for (const url of accepted) {
    test(`accepts ${url}`, () => {
      const result = checkServiceUrl(url, []);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.url.href).toBe(new URL(url).href);
    });
  }

  test("accepts loopback only once PORTICO_OUTBOUND_ALLOW covers it, in every spelling", () => {
    const lab = allow("127.0.0.0/8");
    expect(checkServiceUrl("https://127.0.0.1:8443/", lab).ok).toBe(true);
    expect(checkServiceUrl("https://2130706433/", lab).ok).toBe(true);
    expect(checkServiceUrl("https://[::ffff:127.0.0.1]/", lab).ok).toBe(true);
    expect(checkServiceUrl("https://[::1]/", lab).ok).toBe(false);
    expect(checkServiceUrl("https://169.254.169.254/", lab).ok).toBe(false);
  });

  test("opens the metadata and 6to4 forms only for the ranges PORTICO_OUTBOUND_ALLOW names", () => {
    expect(checkServiceUrl("https://100.100.100.200/", allow("100.100.100.200")).ok).toBe(true);
    expect(checkServiceUrl("https://[fd00:ec2::254]/", allow("fd00:ec2::/32")).ok).toBe(true);
    expect(checkServiceUrl("https://[2002:7f00:1::]/", allow("127.0.0.0/8")).ok).toBe(true);
    expect(checkServiceUrl("https://[2002:a9fe:a9fe::1]/", allow("127.0.0.0/8")).ok).toBe(false);
  });

  test("refuses port 0 with url_invalid", () => {
    for (const url of ["https://10.0.0.1:0/", "https://amp.example.test:0/updates"]) {
      expect(checkServiceUrl(url, [])).toEqual({
        ok: false,
        code: "url_invalid",
        message: "The service URL names port 0, which no service listens on",
      });
    }
  });

  test("refuses http:// with url_not_https", () => {
    expect(checkServiceUrl("http://10.0.0.1/", [])).toEqual({
      ok: false,
      code: "url_not_https",
      message: "The service URL must use https://, not http://",
    });
  });

  test("refuses a user and password inside the URL without repeating them", () => {
    const result = checkServiceUrl("https://amp:s3cret@10.0.0.1/", []);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe("url_invalid");
    expect(result.message).not.toContain("s3cret");
  });

  test("refuses text that is not a URL with url_invalid", () => {
    const result = checkServiceUrl("amp.example.test/updates", []);
    expect(result).toEqual({
      ok: false,
      code: "url_invalid",
      message: "The service URL is not a valid absolute URL",
    });
  });
});

describe("checkAddress", () => {
  test("judges resolved addresses by the same table", () => {
    expect(checkAddress("127.0.0.53", []).ok).toBe(false);
    expect(checkAddress("::ffff:127.0.0.1", []).ok).toBe(false);
    expect(checkAddress("64:ff9b::a9fe:a9fe", []).ok).toBe(false);
    expect(checkAddress("fd00:ec2::254", []).ok).toBe(false);
    expect(checkAddress("2002:a9fe:a9fe::", []).ok).toBe(false);
    expect(checkAddress("::ffff:0:a9fe:a9fe", []).ok).toBe(false);
    expect(checkAddress("10.1.2.3", [])).toEqual({ ok: true, address: "10.1.2.3" });
    expect(checkAddress("fd00::5", [])).toEqual({ ok: true, address: "fd00::5" });
  });

  test("refuses text that is not an address", () => {
    expect(checkAddress("amp.example.test", [])).toEqual({
      ok: false,
      code: "address_forbidden",
      message: "amp.example.test is not an IP address",
    });
  });
});

describe("parseOutboundAllow", () => {
  test("parses comma-separated ranges and bare addresses", () => {
    const parsed = parseOutboundAllow(" 127.0.0.0/8, ::1 ,169.254.169.254");
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.cidrs.map((c) => c.text)).toEqual([
        "127.0.0.0/8",
        "::1/128",
        "169.254.169.254/32",
      ]);
    }
  });

  test("reads unset and empty as no extra ranges", () => {
    expect(parseOutboundAllow(undefined)).toEqual({ ok: true, cidrs: [] });
    expect(parseOutboundAllow(" , ")).toEqual({ ok: true, cidrs: [] });
  });

  test("names every bad entry and what is wrong with it", () => {
    expect(parseOutboundAllow("127.0.0.1/8,10.0.0.0/33,loopback")).toEqual({
      ok: false,
      message:
        'PORTICO_OUTBOUND_ALLOW: "127.0.0.1/8" has host bits set; did you mean 127.0.0.0/8?; ' +
        '"10.0.0.0/33" has a prefix length outside 0–32 for IPv4; ' +
        '"loopback" is not a CIDR range such as 10.0.0.0/8',
    });
  });
});

describe("resolveServiceTarget", () => {
  test("refuses a name that resolves to 127.0.0.1, naming both", async () => {
    const result = await resolveServiceTarget("https://amp.example.test/", [], async () => [
      "127.0.0.1",
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe("address_forbidden");
    expect(result.message).toStartWith(
      "amp.example.test resolves to 127.0.0.1: 127.0.0.1 is a loopback address",
    );
  });

  test("refuses a name when any one of its addresses is forbidden", async () => {
    const resolve = async () => ["10.1.2.3", "169.254.169.254"];
    const result = await resolveServiceTarget("https://amp.example.test/", [], resolve);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe("address_forbidden");
  });

  test("keeps every allowed address in resolver order", async () => {
    const resolve = async () => ["10.1.2.3", "192.168.7.7"];
    const result = await resolveServiceTarget("https://amp.example.test:8443/", [], resolve);
    expect(result).toEqual({
      ok: true,
      target: {
        url: new URL("https://amp.example.test:8443/"),
        hostname: "amp.example.test",
        port: 8443,
        addresses: ["10.1.2.3", "192.168.7.7"],
      },
    });
  });

  test("reports a name that does not resolve as dns_failed", async () => {
    const result = await resolveServiceTarget("https://no-such-host.invalid/", []);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe("dns_failed");
      expect(result.message).toStartWith("no-such-host.invalid does not resolve");
    }
  });

  test("does not look up an address literal", async () => {
    const resolve = async (): Promise<string[]> => {
      throw new Error("looked up");
    };
    const result = await resolveServiceTarget("https://[2001:db8::1]/", [], resolve);
    expect(result.ok && result.target.addresses).toEqual(["2001:db8::1"]);
  });
});
