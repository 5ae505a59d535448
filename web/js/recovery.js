// Channel continuity in checks and words: whether the next publication follows the last one
// seen (no repeat, no hole, same epoch), and what a resubscription with `since` brought back.
// Pure: channels.js applies the verdicts to the page.

/**
 * @typedef {{ offset: number, epoch: string }} Position
 * @typedef {{ kind: 'duplicate' | 'gap' | 'epoch', text: string }} Note
 */

/** @param {number} n @param {string} word */
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The server promises each publication exactly once and in order; this is where a person
 * watching would see that promise break.
 * @param {Position | undefined} at the last position seen
 * @param {{ offset: number, epoch?: string }} pub
 * @param {boolean} live a live push (recovered and reloaded ones carry the reply's epoch)
 * @returns {{ show: boolean, note?: Note }}
 */
export function continuity(at, pub, live) {
  if (!at) return { show: true };
  if (pub.epoch === at.epoch) {
    if (pub.offset <= at.offset) return { show: false, note: { kind: 'duplicate', text: `#${pub.offset} arrived again (already seen up to #${at.offset}).` } };
    if (pub.offset > at.offset + 1) return { show: true, note: { kind: 'gap', text: `Gap: #${at.offset + 1}–#${pub.offset - 1} never arrived.` } };
    return { show: true };
  }
  if (pub.epoch && live) return { show: true, note: { kind: 'epoch', text: `Epoch changed: ${at.epoch} → ${pub.epoch}.` } };
  return { show: true };
}

/** @param {Position} asked @param {Array<{ offset: number }>} pubs */
export function recoveredText(asked, pubs) {
  const range = pubs.length > 0 ? ` (#${pubs[0]?.offset}–#${pubs.at(-1)?.offset})` : '';
  return `Recovered: ${plural(pubs.length, 'publication')} ${pubs.length === 1 ? 'was' : 'were'} recovered since #${asked.offset}${range}.`;
}

/** @param {Position} asked @param {{ offset: number, epoch: string }} now */
export function lostText(asked, now) {
  return `Recovery failed (recovered: false): what came after #${asked.offset} of epoch ${asked.epoch} is no longer kept; the channel is at #${now.offset}, epoch ${now.epoch}. History reloaded.`;
}

/** Why the server may end a subscription, in words. @type {Readonly<Record<string, string>>} */
const REASONS = Object.freeze({
  permission_revoked: 'your permission was removed',
  account_disabled: 'your account was disabled',
  token_revoked: 'your token was revoked',
  token_expired: 'your token expired',
});

/** @param {string} reason */
export function endedText(reason) {
  return `The server ended this subscription: ${reason}${REASONS[reason] ? ` (${REASONS[reason]})` : ''}.`;
}
