// Messages the supervisor itself originates on the data plane (lifecycle alerts). Types only.
// The supervisor publishes these; it never relays other actors' messages.
import type { AlertPayload } from './common.js';

export interface SupervisorPayloads {
  'supervisor.alert': AlertPayload;
}
