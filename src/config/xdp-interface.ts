// `IFACE[:native|generic]`: an interface the XDP fast path attaches to, optionally with the attach mode forced
// for that interface (`fastpath.interfaces` entries and the repeatable `--xdp` flag share this form).

export type XdpAttachMode = "native" | "generic";

export interface XdpInterface {
  name: string;
  /** Forced mode; undefined = the `fastpath.mode` of the config (native with generic fallback, or generic). */
  mode?: XdpAttachMode;
}

export const XDP_INTERFACE_HINT = '"IFACE" or "IFACE:native" / "IFACE:generic" (e.g. eth0:native)';

/** Linux interface names: 1-15 octets, no '/', ':' or white space. */
export function parseXdpInterface(text: string): XdpInterface | null {
  const m = /^([^/:\s]{1,15})(?::(native|generic))?$/.exec(text);
  if (!m) return null;
  return m[2] ? { name: m[1]!, mode: m[2] as XdpAttachMode } : { name: m[1]! };
}
