// Reading the PostgreSQL events table: one page after a position, and a row turned back
// into a RecordedEvent (bigint columns arrive as strings from node-postgres).

import type pg from 'pg';
import { deserialize } from '../../events/index.js';
import type { RecordedEvent } from '../../events/index.js';

export interface PgEventRow {
  position: string;
  stream: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: string;
  recorded_at: string;
}

export const SELECT_AFTER = 'SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2';

export function toRecorded(row: PgEventRow): RecordedEvent {
  const event = deserialize(row.type, row.schema_version, row.data);
  return {
    ...event,
    position: Number(row.position),
    stream: row.stream,
    streamPosition: row.stream_position,
    recordedAt: Number(row.recorded_at),
  } as RecordedEvent;
}

/** Up to `limit` events after `after`, oldest first. */
export async function readAfter(db: pg.Pool | pg.ClientBase, after: number, limit: number): Promise<RecordedEvent[]> {
  const { rows } = await db.query<PgEventRow>(SELECT_AFTER, [after, limit]);
  return rows.map(toRecorded);
}
