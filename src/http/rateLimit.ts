// The per-connection frame rate limit every transport applies (/ws frames, Socket.IO
// events): a one-second window counting frames, and the verdict for the frame just counted.

import { WS_FLOOD_CLOSE_PER_SECOND, WS_MESSAGES_PER_SECOND } from '../constants.js';

/** The window's state; kept on the socket's own data, so a connection costs two numbers. */
export interface RateWindow {
  windowStart: number;
  frames: number;
}

/**
 * `pass`: handle the frame. `throttled`: the first frame over the limit, dropped, and the
 * client is told once. `dropped`: dropped silently. `flood`: dropped, and the connection is
 * to be closed with 4008.
 */
export type RateVerdict = 'pass' | 'throttled' | 'dropped' | 'flood';

const WINDOW_MS = 1000;

/** Counts one frame received at `now` (epoch ms) into `window` and judges it. */
export function countFrame(window: RateWindow, now: number): RateVerdict {
  if (now - window.windowStart >= WINDOW_MS) {
    window.windowStart = now;
    window.frames = 0;
  }
  window.frames++;
  if (window.frames <= WS_MESSAGES_PER_SECOND) return 'pass';
  if (window.frames >= WS_FLOOD_CLOSE_PER_SECOND) return 'flood';
  return window.frames === WS_MESSAGES_PER_SECOND + 1 ? 'throttled' : 'dropped';
}
