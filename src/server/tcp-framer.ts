// RFC 1035 §4.2.2 / RFC 7766 §8 framing: every DNS message on TCP is preceded by a 2-byte length. Chunks from
// the socket may split or join messages arbitrarily (down to one byte at a time).

export class FramingError extends Error {
  readonly code = "EDGENS_ERR_TCP_FRAMING";
}

export class MessageFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageSize: number) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes received but not yet returned as a message (a partial length prefix or message). */
  get buffered(): number {
    return this.buf.length;
  }

  /** The next complete message, or null when more bytes are needed. Throws FramingError on a bad length. */
  next(): Buffer | null {
    if (this.buf.length < 2) return null;
    const len = this.buf.readUInt16BE(0);
    // A DNS header alone is 12 bytes; shorter frames cannot be a message and zero-length ones cannot even
    // be answered with FORMERR (no ID), so the connection is closed.
    if (len === 0) throw new FramingError("zero-length message");
    if (len > this.maxMessageSize)
      throw new FramingError(`message of ${len} bytes exceeds ${this.maxMessageSize}`);
    if (this.buf.length < 2 + len) return null;
    const msg = this.buf.subarray(2, 2 + len);
    this.buf = this.buf.subarray(2 + len);
    return msg;
  }
}
