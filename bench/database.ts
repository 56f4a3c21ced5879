/**
 * Registrations per second and 64 KiB sample submissions per second on
 * the embedded database, through the real server over HTTPS (wrk,
 * keep-alive), with p50/p99 latency. Goals: 1,000 and 500 per second.
 *
 * Run with `npm run bench` (or `bun bench/database.ts`); BENCH_SECONDS
 * sets each run's length (default 10).
 *
 * @module
 */
import { startAppliance } from "../test/helpers/appliance.ts";
import { machine, table, wrk } from "./lib/load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;
const SAMPLE_BYTES = 64 * 1024;

/** Each request registers a new device: a serial made of the thread and a counter. */
const REGISTER_LUA = `
local counter = 0
local thread_id = tostring(math.random(100000, 999999))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local id = "01_B" .. thread_id .. "X" .. counter .. "_C600V_"
  id = id .. string.rep("0", 65 - #id)
  return wrk.format(nil, "/csa/api/register", nil,
    '{"client_id":"' .. id .. '","device_type":"esa"}')
end
`;

function submitLua(key: string): string {
  const boundary = "portico-bench-boundary";
  const head =
    `--${boundary}\\r\\nContent-Disposition: form-data; name=\\"sample\\"; ` +
    `filename=\\"bench.bin\\"\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n`;
  return `
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer ${key}"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=${boundary}"
wrk.body = "${head}" .. string.rep("A", ${SAMPLE_BYTES}) .. "\\r\\n--${boundary}--\\r\\n"
wrk.path = "/api/v2/samples"
`;
}

const app = await startAppliance();
try {
  await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 0 },
  });
  const load = { seconds: SECONDS, connections: CONNECTIONS };
  const registrations = await wrk(`https://127.0.0.1:${app.port}/csa/api/register`, {
    ...load,
    lua: REGISTER_LUA,
  });
  const submissions = await wrk(`https://127.0.0.1:${app.port}/api/v2/samples`, {
    ...load,
    lua: submitLua(app.adminKey),
  });
  console.log(`machine: ${machine()}; wrk -c${CONNECTIONS} -d${SECONDS}s, keep-alive, HTTPS`);
  table(
    ["operation", "per second", "p50 ms", "p99 ms", "errors", "goal", "ratio to goal"],
    [
      [
        "registration (new device)",
        registrations.rps,
        registrations.p50ms,
        registrations.p99ms,
        registrations.errors,
        "1000",
        registrations.rps / 1000,
      ],
      [
        "64 KiB submission",
        submissions.rps,
        submissions.p50ms,
        submissions.p99ms,
        submissions.errors,
        "500",
        submissions.rps / 500,
      ],
    ],
  );
} finally {
  await app.stop();
  app.cleanup();
}
