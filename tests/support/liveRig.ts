import type { SimulatedClock } from '../../events/clock';
import type { InputEvent } from '../../events/types';
import { LiveBroker, type LiveConfig } from '../../actors/execution/liveBroker';
import type { LiveCredentials } from '../../actors/venues/polymarket/credentials';
import type { ClobOrderServer } from './clobOrderServer';

/** A live broker against a loopback CLOB, on a simulated clock, with what it appends and reports kept. */
export interface LiveRig {
  server: ClobOrderServer;
  clock: SimulatedClock;
  broker: LiveBroker;
  events: InputEvent[];
  problems: string[];
}

/** A broker that polls (no user channel) on `server`. */
export function liveRig(server: ClobOrderServer, clock: SimulatedClock, credentials: LiveCredentials, config: LiveConfig): LiveRig {
  const events: InputEvent[] = [];
  const problems: string[] = [];
  const broker = new LiveBroker({ live: true, credentials, clobUrl: server.url, config, clock, append: (e) => void events.push(e), onProblem: (m) => void problems.push(m) });
  return { server, clock, broker, events, problems };
}
