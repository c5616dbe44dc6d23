import { WsReplayServer, type ServerConn } from './wsReplayServer';

type Json = Record<string, unknown>;

export interface UserAuth {
  apiKey: string;
  secret: string;
  passphrase: string;
}

/**
 * A loopback CLOB user channel (`/ws/user`): a client must first send `{auth, markets, type: "user"}`
 * with the expected credentials (else the socket is closed, as the venue does); afterwards it gets the
 * order and trade events of the markets (condition ids) it subscribed, `{markets, operation: "subscribe"}`
 * adding more. `silent` stops every frame it sends, PONGs included (subscriptions are still taken), as a channel
 * that hangs without closing.
 */
export class UserChannelServer {
  silent = false;
  /** Subscribed condition ids per authenticated connection. */
  private readonly subscribed = new Map<ServerConn, Set<string>>();
  /** Messages pushed and to whom, for the test's checks. */
  readonly pushed: { conn: number; message: Json }[] = [];
  refusedAuth = 0;

  private constructor(
    readonly ws: WsReplayServer,
    private readonly auth: UserAuth,
  ) {}

  static async start(auth: UserAuth): Promise<UserChannelServer> {
    let self: UserChannelServer | null = null;
    const ws = await WsReplayServer.start({ answerPing: false, onClientMessage: (conn, text) => self!.onClient(conn, text) });
    self = new UserChannelServer(ws, auth);
    return self;
  }

  get url(): string {
    return `${this.ws.url}/ws/user`;
  }

  /** Connections that authenticated, in order. */
  get sessions(): number {
    return this.subscribed.size;
  }

  /** What the venue pushes: to every authenticated connection subscribed to the message's market. */
  push(message: Json): void {
    if (this.silent) return;
    for (const [conn, markets] of this.subscribed) {
      if (conn.ws.readyState !== conn.ws.OPEN || !markets.has(String(message.market))) continue;
      conn.send(JSON.stringify(message));
      this.pushed.push({ conn: conn.index, message });
    }
  }

  stop(): Promise<void> {
    return this.ws.stop();
  }

  private onClient(conn: ServerConn, text: string): void {
    if (text === 'PING') {
      if (!this.silent) conn.send('PONG');
      return;
    }
    const m = JSON.parse(text) as Json;
    const markets = (m.markets as string[] | undefined) ?? [];
    if (m.type === 'user') {
      const a = m.auth as Partial<UserAuth> | undefined;
      if (a?.apiKey !== this.auth.apiKey || a?.secret !== this.auth.secret || a?.passphrase !== this.auth.passphrase) {
        this.refusedAuth++;
        return conn.close(4001);
      }
      this.subscribed.set(conn, new Set(markets));
    } else if (m.operation === 'subscribe') {
      for (const id of markets) this.subscribed.get(conn)?.add(id);
    }
  }
}
