// One DNS-over-TCP connection (RFC 7766): framing, pipelining (answers are written in arrival order as soon as
// each query is processed), the idle timeout, and bounded write backpressure.
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { TransferHandler } from "../provider/zone-provider.js";
import type { QueryOutcome, Responder } from "../responder/types.js";
import { FramingError, MessageFramer } from "./tcp-framer.js";

export type TcpLimits = EdgensConfig["tcp"];

export class TcpConnection {
  private readonly framer: MessageFramer;
  private readonly outcome: QueryOutcome = { qtype: -1, rcode: -1, truncated: false };
  /** Answers handed to the socket whose write has not completed yet. */
  private inFlight = 0;
  /** When the currently buffered partial message started (ms), or 0. */
  private partialSince = 0;
  private readPaused = false;
  private peerEnded = false;
  private closed = false;
  /** A zone transfer is being written: no other answer may interleave with its messages. */
  private transferring = false;

  constructor(
    private readonly socket: Socket,
    private readonly responder: Responder,
    private readonly limits: TcpLimits,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    /** Answers AXFR/IXFR (src/provider/); a transfer is a stream of messages, not one answer. */
    private readonly transfers?: TransferHandler,
  ) {
    this.framer = new MessageFramer(limits.maxMessageSize);
    socket.setNoDelay(true); // pipelined answers must not wait for Nagle
    // Idle: nothing received or sent for this long, including a client stalled mid-message.
    socket.setTimeout(limits.idleTimeoutMs, () => this.abort("tcp_idle"));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => {
      this.peerEnded = true;
      this.maybeFinish();
    });
    socket.on("error", () => this.abort(null));
    socket.on("close", () => {
      this.closed = true;
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.framer.buffered === 0) this.partialSince = performance.now();
    this.framer.push(chunk);
    this.pump();
    // A client dribbling a message byte by byte resets the socket timeout; bound the whole message instead.
    if (this.framer.buffered > 0 && performance.now() - this.partialSince > this.limits.idleTimeoutMs) {
      this.abort("tcp_idle");
    }
  }

  /** Answer complete messages until the pipeline limit is reached. */
  private pump(): void {
    while (!this.closed && !this.transferring && this.inFlight < this.limits.maxPipelined) {
      let msg: Buffer | null;
      try {
        msg = this.framer.next();
      } catch (e) {
        if (e instanceof FramingError) {
          this.abort("tcp_oversize");
          return;
        }
        throw e;
      }
      if (msg === null) break;
      this.partialSince = this.framer.buffered > 0 ? performance.now() : 0;
      this.answer(msg);
    }
    if (this.transferring) return;
    const full = this.inFlight >= this.limits.maxPipelined;
    if (full && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!full && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
    this.maybeFinish();
  }

  private answer(query: Buffer): void {
    const start = performance.now();
    const o = this.outcome;
    o.qtype = -1;
    o.rcode = -1;
    o.truncated = false;
    if (this.transfers) {
      let t: ReturnType<TransferHandler["start"]>;
      try {
        t = this.transfers.start(query, {
          address: this.socket.remoteAddress ?? "",
          port: this.socket.remotePort ?? 0,
        });
      } catch (e) {
        this.metrics.drop("responder_error");
        this.log.error({ err: e, from: this.socket.remoteAddress }, "transfer handler threw");
        return;
      }
      if (t) {
        o.qtype = t.qtype;
        o.rcode = t.rcode;
        void this.transfer(t.messages, start);
        return;
      }
    }
    let answer: Buffer | null;
    try {
      answer = this.responder.respond(query, "tcp", o, {
        address: this.socket.remoteAddress ?? "",
        port: this.socket.remotePort ?? 0,
      });
    } catch (e) {
      this.metrics.drop("responder_error");
      this.log.error({ err: e, from: this.socket.remoteAddress }, "responder threw on a TCP query");
      return;
    }
    if (answer === null) {
      this.metrics.drop("responder_drop");
      return;
    }
    const frame = Buffer.allocUnsafe(answer.length + 2);
    frame.writeUInt16BE(answer.length, 0);
    answer.copy(frame, 2);
    this.inFlight++;
    this.socket.write(frame, () => {
      this.inFlight--;
      if (!this.closed) this.pump();
    });
    this.metrics.countQuery("tcp", o, answer.length, (performance.now() - start) / 1000);
    // A client that sends queries but never reads its answers: bound what we hold for it.
    if (this.socket.writableLength > this.limits.maxWriteBufferBytes) this.abort("tcp_slow_reader");
  }

  /**
   * Write a transfer's messages in order, waiting for the socket to drain between them (a large zone never
   * sits whole in memory), then resume answering queries. Reading pauses meanwhile.
   */
  private async transfer(messages: Iterator<Buffer>, start: number): Promise<void> {
    this.transferring = true;
    this.inFlight++;
    this.socket.pause();
    const o = { ...this.outcome };
    let bytes = 0;
    try {
      for (let r = messages.next(); !r.done && !this.closed; r = messages.next()) {
        const frame = Buffer.allocUnsafe(r.value.length + 2);
        frame.writeUInt16BE(r.value.length, 0);
        r.value.copy(frame, 2);
        bytes += r.value.length;
        if (!this.socket.write(frame)) await this.drained();
      }
      this.metrics.countQuery("tcp", o, bytes, (performance.now() - start) / 1000);
    } catch (e) {
      this.log.error({ err: e, from: this.socket.remoteAddress }, "zone transfer failed");
      this.abort(null);
    } finally {
      this.inFlight--;
      this.transferring = false;
      if (!this.closed) {
        if (!this.readPaused) this.socket.resume();
        this.pump();
      }
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /**
   * After the client half-closed: close our side once every answer is written. With nothing in flight, pump()
   * has already answered every complete message; a partial one left over can never complete.
   */
  private maybeFinish(): void {
    if (this.peerEnded && !this.closed && this.inFlight === 0) {
      this.closed = true;
      this.socket.end();
    }
  }

  private abort(reason: "tcp_idle" | "tcp_oversize" | "tcp_slow_reader" | null): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.metrics.drop(reason);
    this.socket.destroy();
  }
}
