// Reads the simulated venue's durable state (venue_* tables) the way a chaos check compares it with the ledger.
// Guarantees tests see exactly what the venue saved (what it would restore after a restart).
import type { Pool } from 'mariadb';
import { VenueStore } from '../../src/exchange/sim/store.js';
import type { SimState } from '../../src/exchange/sim/sim-types.js';

export async function venueState(pool: Pool, venueId = 'paper'): Promise<SimState> {
  const loaded = await new VenueStore(pool, venueId).load();
  if (!loaded) throw new Error(`no venue ${venueId} in this database yet`);
  return loaded.state;
}

/** Orders a client placed (a triggered conditional's market order shares its client id and is not counted). */
export const placedOrders = (s: SimState) => s.orders.filter((o) => o.parentAlgoId === null && !o.clientId.startsWith('autoclose-'));
