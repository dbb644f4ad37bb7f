// Every duration of the system, with its default, in one place. Machines take these as inputs (so a test or a flag
// can change them); the runtime passes them in; docs/PROTOCOL.md and README quote them.
export const TIMING = {
  // ---- server session
  /** A connection that has not said hello this long is closed (`hello-timeout`). */
  helloTimeoutMs: 10_000,
  /** The server pings a session silent this long. */
  pingEveryMs: 20_000,
  /** A session silent this long is closed (`idle-timeout`); advertised to clients in `welcome.limits.idleMs`. */
  idleMs: 60_000,
  /** How often the server's one session timer runs keepalive for every connection. */
  sessionTickMs: 5_000,
  /** Joins and leaves are told to everyone once per presence tick: the tick lasts 1 ms per `presencePerMs` people
   *  online, at most `presenceMaxMs` (a room of 4 ticks at once; of 1,000, four times a second; of 4,000 and more, once a second), so that a storm of
   *  logins costs at most one write per member per tick, however many join in it. */
  presencePerMs: 4,
  presenceMaxMs: 1_000,
  /** A closing session whose peer does not read is cut off after this long. */
  sessionCloseGraceMs: 2_000,
  /** A connection refused at accept (too many from one address) is cut off this long after its refusal. */
  refusalGraceMs: 1_000,
  /** On shutdown, clients have this long to read their bye and close before they are cut off. */
  shutdownGraceMs: 3_000,
  /** Failed logins are counted over this window (LIMITS.loginFailures of them block further attempts). */
  loginFailureWindowMs: 60_000,
  /** How long password attempts for a name (or from an address) are refused once it is blocked. */
  loginBlockMs: 5 * 60_000,
  // ---- server store
  /** How often the server checks that its store file is still there, and applies the history retention. */
  storeCheckMs: 1_000,
  /** A clustered store's call to its message broker (a write, a history page, opening) that gets no answer this
   *  long fails with a StoreError: a dead broker never hangs a write. */
  storeOpTimeoutMs: 5_000,
  /** Reconnecting to the message broker: the first wait, doubling up to the maximum, forever. */
  brokerBackoffBaseMs: 100,
  brokerBackoffMaxMs: 2_000,
  /** The broker connection is pinged this often; two unanswered pings count it as lost (a hung broker). */
  brokerPingMs: 5_000,
  /** A clustered store's follower of a stream asks the broker for a heartbeat this often while idle; two missed
   *  make it ask again (it also repairs the client's ordered consumer, which can stall after a broker restart). */
  followHeartbeatMs: 1_000,
  // ---- client connection
  /** The client gives up on a server that has not welcomed it this long after the socket opened. */
  handshakeTimeoutMs: 15_000,
  /** After its bye, the client waits this long for the server to close the socket, then closes it itself. */
  closeGraceMs: 2_000,
  /** Reconnect backoff: the first wait, doubling up to the maximum. */
  backoffBaseMs: 250,
  maxBackoffMs: 10_000,
  /** Each reconnect wait is cut by a random part of up to this fraction (jitter), so that the clients of a server
   *  that died do not all come back at the same instant: the wait is between (1 - jitter) and 1 times the backoff. */
  backoffJitter: 0.5,
  /** A client that has heard nothing from its server this long sends a `ping` (the server answers `pong`). */
  clientPingAfterMs: 30_000,
  /** A client that has heard nothing from its server this long counts the connection as lost (keepalive lost). */
  serverSilentMs: 45_000,
  /** How often the client checks its connection for silence. */
  clientKeepaliveTickMs: 5_000,
  // ---- server transfer (sender)
  /** A client silent this long (no HELLO or ACK while data is due) fails its download and frees the port. */
  senderSilentMs: 30_000,
  /** A halfway question unanswered this long stops the download (partial kept, resumable). */
  consentTimeoutMs: 10 * 60_000,
  /** A sender with nothing to send still gets a scheduler turn this often (its silent-client check). */
  senderHousekeepingMs: 250,
  /** A pool port that could not be bound is skipped this long before it is tried again. */
  portBenchMs: 5_000,
  // ---- client download (receiver)
  /** HELLO is repeated this often until data flows. */
  helloEveryMs: 250,
  /** No data this long after the offer (or after answering yes) fails the download. */
  connectTimeoutMs: 15_000,
  /** A server silent this long during a download fails it. */
  receiverSilentMs: 30_000,
  /** A progress event at most this often. */
  progressEveryMs: 500,
  /** After a stop, data and answers are drained this long before the partial copy is kept. */
  stopGraceMs: 5_000,
  /** The client's download timer: ticks for every receiver actor. */
  downloadTickMs: 100,
  // ---- cluster (NATS)
  /** Each node says it is alive this often. */
  clusterHeartbeatMs: 1_000,
  /** A node unheard of this long (while the broker is reachable) is taken for dead: its users leave, names free. */
  clusterNodeDeadMs: 5_000,
  /** A request to another node (a private message, a download it serves) waits this long for its answer. */
  clusterRequestMs: 3_000,
  /** A broker operation (a name claim, a message kept) fails after this long. */
  clusterOpMs: 5_000,
  /** A node looks at its shared folder this often (besides watching it), and announces its catalogue if it changed. */
  clusterCatalogueScanMs: 10_000,
  // ---- the IRC listener
  /** An IRC connection that has not completed NICK/USER (and CAP negotiation) this long is closed. */
  ircRegistrationTimeoutMs: 30_000,
  /** IRC's penalty behaviour (RFC 1459 8.10): each line moves the client's message timer this far ahead (2 lines a
   *  second sustained, a burst of 20: IRC clients pace themselves slower, irssi at one line per 2.2 s after 5)... */
  ircPenaltyMs: 500,
  /** ...and lines wait (are not refused) while that timer is more than this ahead of now. */
  ircPenaltyWindowMs: 10_000,
  /** The listener's tick for IRC connections still registering or with lines held back. */
  ircFastTickMs: 100,
  /** A DCC SEND offer the IRC client does not take this long is withdrawn (its port returns to the pool). */
  dccOfferTimeoutMs: 120_000,
  /** A DCC connection silent this long (no acknowledgement, nothing read) is cut and its port returned. */
  dccSilentMs: 30_000,
} as const;

export type Timing = { -readonly [K in keyof typeof TIMING]: number };
