// The orchestrator ↔ load-generator worker protocol (Node IPC): commands with an id, each
// answered once with the same id. Figures are raw (counts, ms, encoded histograms); the
// orchestrator merges them across workers.

import type { CodecName } from './codec.js';

export interface Target {
  /** ws://127.0.0.1:port or wss://... (no path: the codec adds it). */
  base: string;
  codec: CodecName;
}

export interface Cred {
  token: string;
  username: string;
}

export type Command =
  | { cmd: 'open'; target: Target; creds: Cred[]; count: number; concurrency: number; deadlineMs: number }
  | { cmd: 'closeAll' }
  | { cmd: 'echo'; rate: number; durationMs: number; warmupMs: number; drainMs: number }
  | { cmd: 'count' }
  | { cmd: 'saturate'; durationMs: number; warmupMs: number; minGapMs: number; batch: number }
  | { cmd: 'handshake'; target: Target; creds: Cred[]; concurrency: number; durationMs: number; maxCount: number }
  | { cmd: 'fanoutSend'; group: number; burst: number; perSender: number }
  | { cmd: 'fanoutCollect'; group: number; expectedPerConn: number; timeoutMs: number }
  | { cmd: 'chanSubscribe'; channel: string; count: number; concurrency: number; timeoutMs: number }
  | { cmd: 'chanSend'; channel: string; group: number; burst: number; perSender: number; from?: string; gapMs?: number }
  | { cmd: 'chanCollect'; channel: string; group: number; expectedPerConn: number; expectedAcks: number; timeoutMs: number }
  | { cmd: 'revoke'; loginBase: string; watch: Target[]; users: Array<{ username: string; password: string }>; rounds: number; timeoutMs: number }
  | { cmd: 'chanPublishLoad'; channel: string; conns: number; durationMs: number; warmupMs: number; minGapMs: number; batch: number };

export type Request = Command & { id: number };

export interface Usage {
  /** Worker CPU time (user + system) during the command, ms. */
  cpuMs: number;
  wallMs: number;
}

export interface OpenResult extends Usage {
  opened: number;
  failed: number;
  total: number;
  firstError?: string;
}

/** Connections of a worker still open. */
export interface CountResult {
  open: number;
}

export interface EchoResult extends Usage {
  sent: number;
  received: number;
  /** Latency from the intended send time (open loop: queueing is not hidden). */
  hist: string;
  /** Latency from the actual send time (what a closed-loop tool would report). */
  serviceHist: string;
  /** Worst lateness of the generator's own sending against its schedule, ms. */
  maxSendLagMs: number;
}

export interface SaturateResult extends Usage {
  received: number;
  hist: string;
}

export interface HandshakeResult extends Usage {
  ok: number;
  /** Time the loops ran (closing the last sockets excluded), ms. */
  activeMs: number;
  failed: number;
  hist: string;
  firstError?: string;
}

export interface FanoutSendResult {
  t0: number;
}

export interface FanoutCollectResult {
  received: number;
  expected: number;
  /** Monotonic ms (shared clock) of the first and last delivery. */
  first: number;
  last: number;
}

export interface ChanSubscribeResult extends Usage {
  /** Connections of this worker subscribed to the channel (after this command). */
  subscribed: number;
}

export interface ChanSendResult {
  t0: number;
  publishers: number;
}

export interface ChanCollectResult extends Usage {
  received: number;
  expected: number;
  first: number;
  last: number;
  /** `published` answers and refusals (`response` ok: false) seen since the last collect. */
  acks: number;
  refused: number;
  firstRefusal?: string;
  /** This worker's subscribers and the deliveries they received, by server (ws:// base). */
  byServer: Array<{ base: string; subscribers: number; received: number }>;
}

export interface ChanPublishLoadResult extends Usage {
  publishers: number;
  /** `published` answers inside the recording window, scaled to exactly durationMs. */
  acked: number;
  refused: number;
  firstRefusal?: string;
  /** Time from a batch's write to each of its `published` answers. */
  hist: string;
  /** Every offset answered (warm-up and drain included), for the no-gap/no-repeat check. */
  offsets: number[];
}

export interface RevokeResult extends Usage {
  rounds: number;
  /** From the logout's request on node A to the close of the token's last socket on the other nodes. */
  hist: string;
  /** The logout's own answer time (the revocation committed to the log). */
  logoutHist: string;
  /** From the logout's answer to the last close (the revocation's travel once committed). */
  afterAnswerHist: string;
  /** From the login's answer on node A until every other node accepted the token (opened its socket). */
  acceptHist: string;
  /** Opens refused with token_revoked meanwhile (a node that had not read the login yet), retried. */
  refusedOpens: number;
  /** Close codes seen, with counts (4001: token revoked). */
  closeCodes: Record<string, number>;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
