// Child process for the kill -9 test of the channel history: appends publications to the
// file named in argv as fast as it can and prints `ack <channel> <offset> <epoch>` for each
// one only after its append resolved. The parent SIGKILLs it at a random moment.

import { systemClock } from '../../src/clock.js';
import { openSqliteHistory } from '../../src/channels/sqliteHistory.js';

const [path = '', round = '0'] = process.argv.slice(2);
const history = openSqliteHistory({ path, clock: systemClock, trimIntervalMs: 0 });
const channels = ['room:a', 'room:b', 'user:c'];
const retention = { size: 1000, ttlSeconds: 3600 };

async function loop(): Promise<void> {
  for (let i = 0; ; i++) {
    // Several appends per turn, so the kill can land inside a group commit.
    const batch = channels.map((channel, k) => history.append(channel, { from: null, data: { round, i, k } }, retention));
    const written = await Promise.all(batch);
    process.stdout.write(written.map((p) => `ack ${p.channel} ${p.offset} ${p.epoch}\n`).join(''));
  }
}

void loop();
