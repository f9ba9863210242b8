// Zone files written by tests (atomically, by rename, the way operators should deploy them).
import { renameSync, writeFileSync } from "node:fs";

export function zoneText(origin: string, serial: number): string {
  return `$ORIGIN ${origin}
$TTL 300
@    IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
@    IN NS  ns1
@    IN A   192.0.2.10
ns1  IN A   192.0.2.1
www  IN A   192.0.2.80
`;
}

/** A zone whose SOA carries `serial` but which has a syntax error further down: must never be served. */
export function brokenZoneText(origin: string, serial: number): string {
  return `${zoneText(origin, serial)}bad  IN A   not-an-address\n`;
}

export function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
