/**
 * Gateways as tests need them: valid File Analysis Client IDs and the
 * registration a real ESA sends.
 *
 * @module
 */

/** A 65-character client ID for a virtual ESA with a distinct serial. */
export function clientId(serial: string, model = "C100V"): string {
  const base = `01_VLNESA100200_${serial.toUpperCase()}_${model}_`;
  if (base.length > 65) throw new Error(`serial ${serial} makes the client ID too long`);
  return base.padEnd(65, "0");
}

let counter = 0;

/** A new, unique client ID for each call. */
export function newClientId(): string {
  counter += 1;
  const serial = `42294D401307BCB4DBEC-${(Date.now() % 1e8).toString(16).toUpperCase()}${counter}`;
  return clientId(serial);
}

export function registration(id: string, extra: Record<string, string> = {}) {
  return {
    client_id: id,
    device_type: "esa",
    model: "C100V",
    serial: id.split("_")[2],
    hostname: "mail-gw-01.example.test",
    software_version: "15.0.1",
    ...extra,
  };
}
