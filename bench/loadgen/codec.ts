// The wire formats the load generator speaks: Beacon's JSON envelope on /ws (also spoken by
// the raw uWS peer) and Socket.IO v5 over Engine.IO v4 on a bare WebSocket (no client library,
// so every peer is driven by the same lean client and the generator's cost stays comparable).

export type CodecName = 'json' | 'sio';

export interface Frame {
  event: string;
  data: any;
}

export interface Codec {
  /** The WebSocket path (with query) to open. */
  readonly path: string;
  encode(event: string, data: unknown): string;
  /**
   * Decodes one text frame. Returns the application frame, or a string the client must
   * send straight back (protocol housekeeping), or undefined for frames to ignore.
   */
  decode(text: string): Frame | string | undefined;
}

const json: Codec = {
  path: '/ws',
  encode: (event, data) => JSON.stringify({ event, data }),
  decode: (text) => JSON.parse(text) as Frame,
};

// Engine.IO packet types: 0 open, 2 ping, 3 pong, 4 message; Socket.IO inside a message:
// 0 connect, 1 disconnect, 2 event, 4 connect_error.
const sio: Codec = {
  path: '/socket.io/?EIO=4&transport=websocket',
  encode: (event, data) => `42${JSON.stringify([event, data])}`,
  decode: (text) => {
    switch (text.charCodeAt(0)) {
      case 0x32: // '2' ping
        return '3';
      case 0x30: // '0' engine open: join the main namespace
        return '40';
      case 0x34: {
        const kind = text.charCodeAt(1);
        if (kind === 0x32) {
          const arr = JSON.parse(text.slice(2)) as [string, unknown];
          return { event: arr[0], data: arr[1] };
        }
        if (kind === 0x30) return { event: 'connect', data: text.length > 2 ? JSON.parse(text.slice(2)) : null };
        if (kind === 0x31) return { event: 'disconnect', data: null };
        if (kind === 0x34) return { event: 'connect_error', data: JSON.parse(text.slice(2)) };
        return undefined;
      }
      default:
        return undefined;
    }
  },
};

export const codecs: Record<CodecName, Codec> = { json, sio };
