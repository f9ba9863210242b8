// The `health:` section of the node config (proposed; src/config/schema.ts can add it as
// `health: healthConfigSchema.prefault({})`). Until it does, `edgens health-agent --config` reads the section
// if present and validates it here; flags still override every key.
import { z } from "zod";
import { parseListenAddress } from "../config/listen-address.js";
import { DEFAULT_ADMIN_STATE_FILE } from "./admin-state.js";

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const healthConfigSchema = z.strictObject({
  /** Good rounds before (re-)announcing. */
  rise: z.number().int().min(1).max(100).default(2),
  /** Failed rounds (timeouts, wrong answers) before withdrawing; refused withdraws at once. */
  fall: z.number().int().min(1).max(100).default(2),
  intervalMs: ms(10, 60_000).default(100),
  fastIntervalMs: ms(10, 60_000).default(50),
  timeoutMs: ms(10, 10_000).default(150),
  holdDownMs: ms(0, 3_600_000).default(1000),
  holdDownMaxMs: ms(0, 86_400_000).default(60_000),
  holdDownDecayMs: ms(0, 86_400_000).default(60_000),
  drainWaitMs: ms(0, 3_600_000).default(3000),
  /** Extra AS-path prepends while draining (eBGP only). */
  drainPrepend: z.number().int().min(0).max(16).default(0),
  adminStateFile: z.string().min(1).default(DEFAULT_ADMIN_STATE_FILE),
  /** ADDR:PORT of the agent's own /metrics; null = off. */
  metrics: z
    .string()
    .refine((s) => parseListenAddress(s) !== null, "expected ADDR:PORT or [v6]:PORT")
    .nullable()
    .default(null),
  /** Names to query; default: every zone origin. */
  names: z.array(z.string().min(1)).default([]),
  qtype: z
    .string()
    .regex(/^[A-Za-z0-9]+$/)
    .default("SOA"),
  /** Require this SOA serial (pins a node to one zone version; rarely wanted). */
  expectSerial: z.number().int().min(0).max(4294967295).optional(),
});

export type HealthConfig = z.output<typeof healthConfigSchema>;
