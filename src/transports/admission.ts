// Frame admission, the one gate every socket transport puts before a connection's actor
// (/ws frames, Socket.IO events): the size limit (close 1009), a per-connection rate in a
// one-second window (over it: dropped, the client told once) and the flood close (4008).

import type { ConnectionHandle } from '../actors/hub.js';
import type { ClientFrame } from '../actors/frames.js';
import { MAX_WS_FRAME_BYTES, WS_FLOOD_CLOSE_PER_SECOND, WS_MESSAGES_PER_SECOND, WS_SUBSCRIPTION_FRAMES_PER_SECOND } from '../constants.js';

/** The window's state; kept on the socket's own data, so a connection costs two numbers. */
export interface RateWindow {
  windowStart: number;
  frames: number;
  /** subscribe / unsubscribe frames of this window given back to `frames` (see refundSubscription). */
  subscriptions: number;
}

/**
 * `pass`: handle the frame. `throttled`: the first frame over the limit, dropped, and the
 * client is told once. `dropped`: dropped silently. `flood`: dropped, and the connection is
 * to be closed with 4008.
 */
export type RateVerdict = 'pass' | 'throttled' | 'dropped' | 'flood';

/** A rate verdict, or `too_big`: over MAX_WS_FRAME_BYTES, the connection closes with 1009. */
export type FrameVerdict = RateVerdict | 'too_big';

export const RATE_WINDOW_MS = 1000;

export function newRateWindow(): RateWindow {
  return { windowStart: 0, frames: 0, subscriptions: 0 };
}

/** Counts one frame received at `now` (epoch ms) into `window` and judges it. */
export function countFrame(window: RateWindow, now: number): RateVerdict {
  if (now - window.windowStart >= RATE_WINDOW_MS) {
    window.windowStart = now;
    window.frames = 0;
    window.subscriptions = 0;
  }
  window.frames++;
  if (window.frames <= WS_MESSAGES_PER_SECOND) return 'pass';
  if (window.frames >= WS_FLOOD_CLOSE_PER_SECOND) return 'flood';
  return window.frames === WS_MESSAGES_PER_SECOND + 1 ? 'throttled' : 'dropped';
}

/**
 * A frame that passed and parsed as `subscribe` or `unsubscribe` is given back to the window,
 * within WS_SUBSCRIPTION_FRAMES_PER_SECOND: resubscribing every channel after a reconnect
 * is not flooding. Frames already dropped are not reconsidered.
 */
export function refundSubscription(window: RateWindow, frame: ClientFrame): void {
  if (frame.type !== 'subscribe' && frame.type !== 'unsubscribe') return;
  if (window.subscriptions >= WS_SUBSCRIPTION_FRAMES_PER_SECOND || window.frames === 0) return;
  window.subscriptions++;
  window.frames--;
}

/** Judges a frame of `bytes` received at `now`: an oversized frame is refused before it is counted. */
export function judgeFrame(window: RateWindow, now: number, bytes: number): FrameVerdict {
  return bytes > MAX_WS_FRAME_BYTES ? 'too_big' : countFrame(window, now);
}

/** Where admission reports the connections it closes. */
export interface AdmissionLogger {
  warn(obj: object, msg: string): void;
}

/** The connection a frame arrived on, as admission acts on it. */
export interface AdmittedConnection {
  readonly sid: string;
  readonly address: string;
  readonly rate: RateWindow;
  readonly handle: ConnectionHandle;
  /** Ends the socket with 1009 (the transport's own close: the actor hears of it as the socket closing). */
  closeTooBig(): void;
}

/**
 * Judges one frame and does what the verdict asks of the connection. True when the frame
 * is to be read and handed to the actor; false when admission already dealt with it.
 */
export function admitFrame(conn: AdmittedConnection, now: number, bytes: number, logger: AdmissionLogger): boolean {
  const verdict = judgeFrame(conn.rate, now, bytes);
  switch (verdict) {
    case 'pass':
      return true;
    case 'too_big':
      logger.warn({ sid: conn.sid, bytes }, 'closing: frame too big');
      conn.closeTooBig();
      return false;
    case 'flood':
      logger.warn({ sid: conn.sid, address: conn.address }, 'closing flooding connection');
      conn.handle.flood();
      return false;
    case 'throttled':
      conn.handle.throttled();
      return false;
    case 'dropped':
      return false;
    default: {
      const unreachable: never = verdict;
      return unreachable;
    }
  }
}
