// Files that must survive a crash whole: write a temporary file beside the target, fsync it, rename it over the
// target, then fsync the directory. Readers see the old or the new content, never a mix.
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** `data` may be chunks (written one by one, the event loop runs in between): big files are never one string. */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer | Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
  mode = 0o644,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "w", mode);
    try {
      if (typeof data === "string" || Buffer.isBuffer(data)) await fh.writeFile(data);
      else for await (const chunk of data) await fh.writeFile(chunk); // each from the current position
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // The rename itself must reach the disk too.
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
