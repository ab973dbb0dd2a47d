// The metered endpoints: path under /v1 -> adapter. A new endpoint is a new entry here,
// never an `if (path === ...)` elsewhere; a /v1 path missing from this map is not metered.
import type { EndpointAdapter } from '../adapter.js';
import { chatAdapter } from './chat.js';
import { completionsAdapter } from './completions.js';
import { embeddingsAdapter } from './embeddings.js';
import { messagesAdapter } from './messages.js';
import { responsesAdapter } from './responses.js';

export const ADAPTERS: ReadonlyMap<string, EndpointAdapter> = new Map(
  [chatAdapter, responsesAdapter, completionsAdapter, embeddingsAdapter, messagesAdapter].map((adapter) => [
    adapter.path,
    adapter,
  ]),
);

export { chatAdapter, completionsAdapter, embeddingsAdapter, messagesAdapter, responsesAdapter };
