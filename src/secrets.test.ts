import { expect, test } from "bun:test";
import { createSealer, keyCheckValue } from "./secrets.ts";

const master = crypto.getRandomValues(new Uint8Array(32));

test("a sealed secret opens with the same owner's sealer and hides the plaintext", async () => {
  const sealer = await createSealer(master, "disposition-syndication");
  const sealed = await sealer.seal("s3cret-password");
  expect(sealed).toStartWith("v1.");
  expect(sealed).not.toContain("s3cret");
  expect(await sealer.open(sealed)).toBe("s3cret-password");
  expect(await sealer.seal("s3cret-password")).not.toBe(sealed);
});

test("one plugin cannot open what another sealed", async () => {
  const mine = await createSealer(master, "tls-identity");
  const theirs = await createSealer(master, "third-party");
  const sealed = await mine.seal("-----BEGIN PRIVATE KEY-----");
  await expect(theirs.open(sealed)).rejects.toThrow();
});

test("a different master key gives a different check value and cannot open", async () => {
  const other = crypto.getRandomValues(new Uint8Array(32));
  expect(await keyCheckValue(other)).not.toBe(await keyCheckValue(master));
  const sealed = await (await createSealer(master, "kernel")).seal("x");
  await expect((await createSealer(other, "kernel")).open(sealed)).rejects.toThrow();
});
