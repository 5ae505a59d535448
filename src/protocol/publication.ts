// A channel publication and a position in a channel, as the wire carries them
// (docs/protocol.md section 6). Here, not in src/channels, so that the client library's
// types reach no module that needs Node.

/** Who published: a user, or null for the admin API. */
export interface PublicationSender {
  readonly username: string;
  readonly user_id: number;
}

/** A publication as the wire carries it (`publication` push, `subscribed`, `history`). */
export interface Publication {
  readonly channel: string;
  readonly offset: number;
  readonly epoch: string;
  readonly from: PublicationSender | null;
  /** Any JSON value. */
  readonly data: unknown;
  /** Epoch milliseconds; never goes backwards within a channel. */
  readonly ts: number;
}

/** A point in a channel's history, as a client remembers it to recover from. */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch: string;
}
