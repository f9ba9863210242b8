// Entry point of a cluster worker process (forked by src/server/cluster-primary.ts).
import { runClusterWorker } from "./cluster-worker.js";

runClusterWorker().catch((e) => {
  console.error(e);
  process.exit(1);
});
