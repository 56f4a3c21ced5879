/**
 * Reading a console form: its fields as text (files apart), validated with
 * a valibot schema into field errors the page shows beside each field.
 *
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { readForm, single } from "../../../src/http/body.ts";
import type { AppEnv } from "../../../src/http/env.ts";

/** A form read and checked: the value, or an error per field; what was typed either way. */
export type FormResult<T> =
  | { ok: true; value: T; raw: Record<string, unknown> }
  | { ok: false; errors: Record<string, string>; raw: Record<string, unknown> };

/** The form's fields, each sent once or the last of several. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const form = await readForm(c);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form)) {
    if (name !== "_csrf") fields[name] = single(value);
  }
  return fields;
}

/** Reads the form and checks it against `schema`. */
export async function readFormAs<S extends v.GenericSchema>(
  c: Context<AppEnv>,
  schema: S,
): Promise<FormResult<v.InferOutput<S>>> {
  const raw = await formFields(c);
  const parsed = v.safeParse(schema, raw);
  if (parsed.success) return { ok: true, value: parsed.output, raw };
  const errors: Record<string, string> = {};
  for (const issue of parsed.issues) {
    const key = String(issue.path?.[0]?.key ?? "form");
    errors[key] ??= issue.message;
  }
  return { ok: false, errors, raw };
}

/** A text field as typed, for filling the form again (never a password). */
export function typed(raw: Record<string, unknown>, name: string): string {
  const value = raw[name];
  return typeof value === "string" ? value : "";
}
