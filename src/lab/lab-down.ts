// Tearing a lab down, also after a crash: every process inside one of the lab's namespaces (found with
// `ip netns pids`, so FRR daemons, ExaBGP, its agent and edgens serve alike, even ones no state file recorded)
// gets SIGTERM then SIGKILL, then the namespaces (and with them every veth) and the state directory go.
import { rmSync } from "node:fs";
import { stopPids } from "./daemon.js";
import { labDir, NETNS_PREFIX, netnsPrefix } from "./lab-state.js";
import { deleteNetns, listNetns, netnsPids } from "./netns.js";

export interface DownResult {
  namespaces: string[];
  processes: number;
}

/** `name` null: every `edgens-lab-` namespace (leftovers of any lab). */
export async function labDown(stateRoot: string, name: string | null): Promise<DownResult> {
  const prefix = name === null ? NETNS_PREFIX : netnsPrefix(name);
  const namespaces = await listNetns(prefix);
  const pids = new Set<number>();
  for (const ns of namespaces) for (const p of await netnsPids(ns)) pids.add(p);
  // The processes were found inside our namespaces: they are the lab's, whoever started them.
  await stopPids([...pids].filter((p) => p !== process.pid));
  for (const ns of namespaces) await deleteNetns(ns);
  if (name !== null) rmSync(labDir(stateRoot, name), { recursive: true, force: true });
  else rmSync(stateRoot, { recursive: true, force: true });
  return { namespaces, processes: pids.size };
}
