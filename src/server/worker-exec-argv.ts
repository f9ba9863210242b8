// Node flags for the cluster's workers. V8 gives every process a pool of 4 background threads (concurrent
// marking, parallel scavenges, compiles) whatever the machine; a cluster runs about one worker per core, so two
// workers building a big zone at once on 2 vCPUs had 2 + 8 threads contending. Each worker gets its share of
// the cores instead: 1 M-record transfer −10 % wall, −12 % CPU in cluster mode (docs/BENCHMARKS.md, session 7).

const POOL_FLAG = "--v8-pool-size";

/**
 * `execArgv` (the primary's own Node flags, which workers inherit) plus `--v8-pool-size=⌊cores / workers⌋`
 * (at least 1), unless the operator set a pool size in the flags or in NODE_OPTIONS.
 */
export function workerExecArgv(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  workers: number,
  cores: number,
): string[] {
  const given = [...execArgv, ...(nodeOptions?.split(/\s+/) ?? [])];
  if (given.some((a) => a === POOL_FLAG || a.startsWith(`${POOL_FLAG}=`))) return [...execArgv];
  const pool = Math.max(1, Math.floor(cores / Math.max(1, workers)));
  return [...execArgv, `${POOL_FLAG}=${pool}`];
}
