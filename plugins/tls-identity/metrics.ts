/**
 * tls-identity's figure on `/metrics`: the days until each interface's
 * certificate expires (negative once it has), to alert on before devices
 * start refusing the appliance.
 *
 * @module
 */
import type { MetricsSource } from "../../src/metrics.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { certificateStates } from "./expiry.ts";

const DAY_MS = 86_400_000;

export function certificateMetrics(ctx: PluginContext): MetricsSource {
  return {
    async collect() {
      const now = ctx.clock.now().getTime();
      const states = await certificateStates(ctx);
      return [
        {
          name: "portico_certificate_expiry_days",
          help: "Days until the interface's certificate expires; negative once it has.",
          samples: states.map((state) => ({
            labels: { interface: state.interface },
            value: (Date.parse(state.not_after) - now) / DAY_MS,
          })),
        },
      ];
    },
  };
}
