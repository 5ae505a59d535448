// Unit tests for the recovery rule every history binding shares: recovered only with the
// channel's epoch, an offset within its head, and every later publication still kept.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recoveryFrom, retentionOf, type Publication } from '../../src/channels/history.js';
import { BUILT_IN_NAMESPACES, type NamespacePolicy } from '../../src/channels/namespaces.js';

const epoch = 'e1';
const pub = (offset: number): Publication => ({ channel: 'room:a', offset, epoch, from: null, data: offset, ts: 0 });
const pubs = (...offsets: number[]): Publication[] => offsets.map(pub);
const head = { offset: 5, epoch };

describe('recoveryFrom', () => {
  test('same epoch and every later publication kept: recovered, all of them, in order', () => {
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch }, pubs(3, 4, 5)), { recovered: true, epoch, offset: 5, publications: pubs(3, 4, 5) });
  });

  test('at the head: recovered with nothing missed; from 0 on an empty channel too', () => {
    assert.deepEqual(recoveryFrom(head, { offset: 5, epoch }, []), { recovered: true, epoch, offset: 5, publications: [] });
    assert.deepEqual(recoveryFrom({ offset: 0, epoch }, { offset: 0, epoch }, []), { recovered: true, epoch, offset: 0, publications: [] });
  });

  const miss = { recovered: false, epoch, offset: 5, publications: [] };
  test('a foreign epoch is not recovered, even with the publications at hand', () => {
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch: 'other' }, pubs(3, 4, 5)), miss);
  });

  test('an offset beyond the head, negative or not whole is not recovered', () => {
    for (const offset of [6, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(recoveryFrom(head, { offset, epoch }, pubs(3, 4, 5)), miss, String(offset));
    }
  });

  test('a publication trimmed or aged out after since is not recovered, whether first, middle or last', () => {
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch }, pubs(4, 5)), miss);
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch }, pubs(3, 5)), miss);
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch }, pubs(3, 4)), miss);
    // As many as expected but not the right ones is still a gap.
    assert.deepEqual(recoveryFrom(head, { offset: 2, epoch }, pubs(3, 3, 5)), miss);
  });
});

test('retentionOf reads the namespace fields', () => {
  assert.deepEqual(retentionOf(BUILT_IN_NAMESPACES.get('user') as NamespacePolicy), { size: 100, ttlSeconds: 7 * 86_400 });
});
