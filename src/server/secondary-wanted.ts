// Whether a config has secondary zones or catalogs: decides, before anything is loaded, whether a process needs
// the secondary-zone code (transfers, persistence, zod schemas) at all.
import type { EdgensConfig } from "../config/schema.js";

export function secondaryWanted(config: EdgensConfig): boolean {
  return config.catalogs.length > 0 || config.zones.some((z) => z.secondary);
}
