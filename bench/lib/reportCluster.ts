// latest.md's cluster section: fan-out over three nodes for Beacon (PostgreSQL + Redis) and
// Socket.IO (@socket.io/redis-adapter) beside one embedded Beacon node, every server process's
// CPU counted, and Beacon's revocation-to-close time across nodes. Failed steps are quoted.

import { CLUSTER_LABELS, type ClusterSetup } from '../scenarios/clusterRun.js';
import { PUBLISH_GAP_MS } from '../scenarios/cluster.js';
import { fmt, ratio, type Results } from './results.js';

const int = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x * 100)}%`);
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${x}`);
const ORDER: ClusterSetup[] = ['beacon3', 'socketio3', 'beacon1'];

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function clusterSection(r: Results): string[] {
  const c = r.cluster;
  if (c === undefined) return [];
  const out: string[] = ['## 10. Cluster: fan-out over three nodes, revocation across nodes', ''];
  out.push(
    `Every server process on the server core: the nodes, one redis-server and (Beacon) one PostgreSQL, all started by the bench. The subscribers of \`room:bench\` are spread evenly over the nodes; one publisher, on node A, publishes one publication every ${PUBLISH_GAP_MS} ms (under Beacon's 100 frames/s per socket). "time to last": one publication at a time, from the publish to the last delivery on any node. Deliveries per server CPU-second count the CPU of every node and of Redis (and of PostgreSQL for Beacon, though publications do not touch it). Beacon's cluster keeps each publication in its Redis history; Socket.IO keeps nothing and its presence counts are per node.`,
    '',
  );
  const setups = ORDER.flatMap((k) => (c[k] === undefined ? [] : [[k, c[k]] as const]));
  out.push(
    table(
      ['setup', 'N', 'subscribe s', 'time to last p50 ms', 'p99 ms', 'max ms', 'burst publications', 'deliveries/s', 'deliveries per server CPU-s', 'CPU-s: nodes / redis / postgres', 'server CPU', 'client CPU', 'lost', 'note'],
      setups.flatMap(([, s]) =>
        s.fanout.map((f) => [
          s.label,
          int(f.subscribers),
          f.subscribeSeconds.toFixed(1),
          ms(f.last.p50),
          ms(f.last.p99),
          ms(f.last.max),
          int(f.publications),
          int(f.deliveriesPerSecond),
          int(f.deliveriesPerCpuSecond),
          ['nodes', 'redis', 'postgres'].map((k) => (f.cpuSeconds[k] === undefined ? '-' : f.cpuSeconds[k]?.toFixed(2))).join(' / '),
          pct(f.serverCpu),
          pct(f.clientCpu),
          int(f.lost),
          [f.lost > 0 ? 'lossy' : '', f.clientBound ? 'client-bound' : '', f.refused > 0 ? `${f.refused} refused (${f.firstRefusal ?? ''})` : ''].filter((x) => x !== '').join(', '),
        ]),
      ),
    ),
    '',
  );
  const sizes = [...new Set(setups.flatMap(([, s]) => s.fanout.map((f) => f.subscribers)))];
  for (const n of sizes) {
    const get = (k: ClusterSetup) => c[k]?.fanout.find((f) => f.subscribers === n);
    const b3 = get('beacon3');
    const b1 = get('beacon1');
    const s3 = get('socketio3');
    out.push(
      `N=${int(n)}: Beacon 3 nodes / Socket.IO 3 nodes ${fmt(ratio(b3?.deliveriesPerCpuSecond, s3?.deliveriesPerCpuSecond))}× per server CPU-s, ${fmt(ratio(b3?.deliveriesPerSecond, s3?.deliveriesPerSecond))}× per second; Beacon 3 nodes / 1 node ${fmt(ratio(b3?.deliveriesPerCpuSecond, b1?.deliveriesPerCpuSecond))}× per server CPU-s, time to last p99 ${fmt(ratio(b3?.last.p99, b1?.last.p99))}×.`,
      '',
    );
  }
  const rev = c.beacon3?.revocation;
  out.push(`Revocation across nodes (Beacon, 3 nodes): per round, a login on node A, that token on one socket each on nodes B and C, a logout on node A; the time from the logout request to the close of the later of the two sockets. A node that has not yet read the login from the log refuses its token (token_revoked); the bench retries every 10 ms and reports the wait ("login accepted on B and C", from the login's answer) and the refusals.`, '');
  if (rev !== undefined) {
    out.push(
      table(
        ['rounds', 'close p50 ms', 'close p99 ms', 'close max ms', 'logout answer p50 ms', 'logout answer p99 ms', 'answer to last close p50 / p99 ms', 'login accepted on B and C p50 / p99 ms', 'opens refused meanwhile', 'close codes'],
        [[int(rev.rounds), ms(rev.close.p50), ms(rev.close.p99), ms(rev.close.max), ms(rev.logout.p50), ms(rev.logout.p99), `${ms(rev.afterAnswer.p50)} / ${ms(rev.afterAnswer.p99)}`, `${ms(rev.accept.p50)} / ${ms(rev.accept.p99)}`, int(rev.refusedOpens), Object.entries(rev.closeCodes).map(([k, v]) => `${k}: ${v}`).join(', ')]],
      ),
      '',
    );
  } else out.push('not measured', '');
  for (const [k, s] of setups) for (const e of s.errors) out.push(`- **failed**, ${CLUSTER_LABELS[k]}: ${e}`);
  out.push('');
  return out;
}
