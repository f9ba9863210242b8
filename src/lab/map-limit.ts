// Bounded concurrency for the lab's many short `ip`/`vtysh`/helper processes: enough at once to overlap their
// start-up, few enough for a 2-vCPU host.

/** Concurrent child processes the lab runs for one step (bring-up, a status poll). */
export const LAB_CONCURRENCY = 6;

/** `fn` over `items`, at most `limit` at a time; rejects with the first error (after the running ones end). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
  return out;
}
