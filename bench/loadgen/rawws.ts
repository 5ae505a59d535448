// A lean WebSocket client for the load generator (RFC 6455, text frames only): one TCP or
// TLS socket, the upgrade written by hand, frames parsed in place. It costs the generator
// several times less CPU per message than `ws`, so on one core it can keep up with servers
// on the other. Client frames use an all-zero masking key (servers still unmask them); the
// Sec-WebSocket-Accept answer is not checked. Benchmark use only.

import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawWsOptions {
  /** ws://host:port or wss://host:port */
  base: string;
  path: string;
  localAddress?: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');

export class RawWs {
  onopen: () => void = () => undefined;
  onmessage: (text: string) => void = () => undefined;
  onclose: (code: number) => void = () => undefined;
  onerror: (err: Error) => void = () => undefined;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readyState = 0;
  private readonly socket: Socket;
  private buf: Buffer | undefined;
  private upgraded = false;
  private fragments: Buffer[] = [];
  private closeCode = 1006;

  constructor(opts: RawWsOptions) {
    const url = new URL(opts.base);
    const secure = url.protocol === 'wss:';
    const port = Number(url.port || (secure ? 443 : 80));
    const common = { host: url.hostname, port, ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }) };
    const request =
      `GET ${opts.path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    this.socket = secure
      ? tlsConnect({ ...common, rejectUnauthorized: false }, () => this.socket.write(request))
      : netConnect(common, () => this.socket.write(request));
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.data(chunk));
    this.socket.on('error', (err) => this.onerror(err));
    this.socket.on('close', () => {
      const wasOpen = this.readyState !== 3;
      this.readyState = 3;
      if (wasOpen) this.onclose(this.closeCode);
    });
  }

  send(text: string): void {
    if (this.readyState !== 1) return;
    this.socket.write(frame(0x1, text));
  }

  /** Several text frames in one write (pipelining: one syscall for all of them). */
  sendMany(texts: readonly string[]): void {
    if (this.readyState !== 1) return;
    this.socket.write(texts.length === 1 ? frame(0x1, texts[0] as string) : Buffer.concat(texts.map((t) => frame(0x1, t))));
  }

  close(code = 1000): void {
    if (this.readyState >= 2) return;
    if (this.readyState === 0) return this.terminate();
    this.readyState = 2;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.write(frame(0x8, payload));
  }

  terminate(): void {
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    let buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.upgraded) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) return void (this.buf = buf);
      const head = buf.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) {
        this.onerror(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return this.terminate();
      }
      this.upgraded = true;
      this.readyState = 1;
      buf = buf.subarray(end + 4);
      this.onopen();
    }
    while (buf.length >= 2) {
      const b0 = buf[0] as number;
      const b1 = buf[1] as number;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (b1 & 0x80) off += 4; // servers do not mask; skip a key if one came anyway
      if (buf.length < off + len) break;
      this.frame(b0, buf.subarray(off, off + len));
      buf = buf.subarray(off + len);
    }
    this.buf = buf.length === 0 ? undefined : buf;
  }

  private frame(b0: number, payload: Buffer): void {
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode === 0x1 || opcode === 0x0) {
      if (!fin || this.fragments.length > 0) {
        this.fragments.push(Buffer.from(payload));
        if (!fin) return;
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        return this.onmessage(whole.toString('utf8'));
      }
      return this.onmessage(payload.toString('utf8'));
    }
    if (opcode === 0x8) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (this.readyState === 1) this.socket.write(frame(0x8, payload.subarray(0, 2)));
      this.readyState = 2;
      this.socket.end();
    } else if (opcode === 0x9) {
      if (this.readyState === 1) this.socket.write(frame(0xa, payload));
    }
  }
}

/** One masked frame (zero key), header and payload in a single buffer. */
function frame(opcode: number, payload: string | Buffer): Buffer {
  const len = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const head = len < 126 ? 6 : len < 65_536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  out.writeUInt32BE(0, head - 4);
  if (typeof payload === 'string') out.write(payload, head, 'utf8');
  else payload.copy(out, head);
  return out;
}
