// Human-readable output of the operator CLI: aligned tables for lists, `key: value` lines
// for single answers, and one line per audit event (the --json flag prints the answer as
// the server sent it instead).

export type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Columns in the given order; an empty list says so rather than printing a bare header. */
export function table(rows: readonly Row[], columns: readonly string[], empty: string): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

export function fields(object: unknown): string {
  if (typeof object !== 'object' || object === null) return cell(object);
  return Object.entries(object)
    .map(([k, v]) => `${k}: ${cell(v)}`)
    .join('\n');
}

const iso = (ms: unknown): string => (typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-');

/** `#42  2026-12-01T20:00:00.000Z  UserKicked  userId=1 username=alice by=admin:ab12... address=127.0.0.1`. */
export function eventLine(event: Row): string {
  const data = (typeof event['data'] === 'object' && event['data'] !== null ? event['data'] : {}) as Row;
  const parts = Object.entries(data).map(([k, v]) => {
    if (k === 'by' && typeof v === 'object' && v !== null) {
      const by = v as Row;
      return `by=${cell(by['actor'])}${by['fingerprint'] === undefined ? '' : `:${cell(by['fingerprint'])}`}`;
    }
    return `${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
  });
  return `#${cell(event['position'])}  ${iso(event['recorded_at'])}  ${cell(event['type'])}${parts.length === 0 ? '' : `  ${parts.join(' ')}`}`;
}

export function connectionsTable(connections: readonly Row[]): string {
  const rows = connections.map((c) => ({ ...c, connected_at: iso(c['connected_at']) }));
  return table(rows, ['sid', 'username', 'node', 'transport', 'remote_address', 'state', 'channels', 'connected_at'], 'no live connections');
}
