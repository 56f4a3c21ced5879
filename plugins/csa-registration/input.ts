/**
 * What a gateway sends to register, validated.
 *
 * @module
 */
import * as v from "valibot";

/**
 * The File Analysis Client ID: a two-digit type, the licence for virtual
 * appliances, the serial, the model, then zeros to 65 characters.
 */
export const CLIENT_ID_LENGTH = 65;
const CLIENT_ID_PATTERN = /^[0-9]{2}_(VLN[A-Z0-9]+_)?[A-Z0-9-]+_[A-Z0-9]+_0*$/;

/** Device attributes are shown to administrators and logged: printable text only. */
const attribute = (max: number, pattern = /^[\x20-\x7e]*$/, what = "printable ASCII text") =>
  v.optional(
    v.pipe(
      v.string("must be text"),
      v.trim(),
      v.maxLength(max, `must be at most ${max} characters`),
      v.regex(pattern, `must be ${what}`),
    ),
  );

export const RegistrationInput = v.object({
  client_id: v.pipe(
    v.string("client_id is required: the gateway's File Analysis Client ID"),
    v.trim(),
    v.length(
      CLIENT_ID_LENGTH,
      (issue) =>
        `must be exactly ${CLIENT_ID_LENGTH} characters (zero-padded); this one has ${String(issue.input).length}`,
    ),
    v.regex(
      CLIENT_ID_PATTERN,
      "must be <2-digit type>_[VLN<licence>_]<serial>_<model>_<zero padding>, in upper case",
    ),
  ),
  device_type: v.picklist(
    ["esa", "wsa", "sma", "fmc", "other"],
    "device_type must be one of esa, wsa, sma, fmc, other",
  ),
  model: attribute(64),
  serial: attribute(128),
  hostname: attribute(253, /^[A-Za-z0-9.-]*$/, "a hostname (letters, digits, dots and dashes)"),
  software_version: attribute(64),
  registration_token: attribute(200),
});

export type Registration = v.InferOutput<typeof RegistrationInput>;

/** The attributes stored with the device and its attempts. */
export function attributesOf(input: Registration): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ["model", "serial", "hostname", "software_version"] as const) {
    const value = input[key];
    if (value) out[key] = value;
  }
  return out;
}
