// The message log's one-line title and note for a received frame: what a person scanning
// the log needs to read first ("publication · room:demo #3 from bob"), the full data below.

import { REVOKING_CODES, describeClose } from './closeCodes.js';

/** @param {import('./socket.js').Frame} frame */
export function titleOf(frame) {
  const d = frame.data ?? {};
  switch (frame.event) {
    case 'response':
      return `response · ${d.ok ? 'ok' : 'failed'} · ${d.code}`;
    case 'user_status':
      return `user_status · ${d.username} ${d.status}`;
    case 'authenticated_message':
      // A directed message carries `to`: say so, it is not for everyone.
      return `authenticated_message from ${d.from}${typeof d.to === 'string' ? ` → ${d.to} only (direct)` : ' → everyone'}`;
    case 'disconnect':
      return `disconnect · ${describeClose(Number(d.code))}`;
    case 'subscribed':
      return `subscribed · ${d.channel} at #${d.offset}${Array.isArray(d.publications) && d.publications.length > 0 ? ` · ${d.publications.length} recovered` : ''}`;
    case 'publication':
      return `publication · ${d.channel} #${d.offset}${d.from ? ` from ${d.from.username}` : ' from the server'}`;
    case 'published':
      return `published · ${d.channel} #${d.offset}`;
    case 'join':
    case 'leave':
      return `${frame.event} · ${d.channel} · ${d.username}`;
    case 'unsubscribed':
      return `unsubscribed · ${d.channel} · ${d.reason}`;
    case 'history':
      return `history · ${d.channel} · ${Array.isArray(d.publications) ? d.publications.length : 0} publications`;
    case 'channel_presence':
      return `channel_presence · ${d.channel} · ${d.count}`;
    default:
      return frame.event;
  }
}

/** @param {import('./socket.js').Frame} frame */
export function noteOf(frame) {
  const d = frame.data ?? {};
  if (frame.event === 'response' && d.ok === false && REVOKING_CODES.has(d.code)) return `Session ended: ${d.message}`;
  if (frame.event === 'authenticated_message' && d.text) return d.text;
  return undefined;
}
