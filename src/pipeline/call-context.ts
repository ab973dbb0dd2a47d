// One proxied call as the pipeline sees it: the client's request (ProxyCall) and what is
// known about it so far (CallContext), from which refusals and the outage path render.
// Types only.
import type { TenantPolicy } from '../config/types.js';
import type { PriceTable } from '../pricing/types.js';
import type { Principal } from '../principal.js';
import type { EndpointAdapter, ParsedRequest } from '../proxy/adapter.js';
import type { ClientSignal } from '../proxy/client-gone.js';
import type { HeaderReader } from '../proxy/request-headers.js';
import type { CallPlan } from './plan.js';

export interface ProxyCall {
  readonly adapter: EndpointAdapter;
  /** Authenticated before the body was read (an unknown virtual key never gets its body buffered). */
  readonly principal: Principal;
  readonly headers: HeaderReader;
  /** The request's query string with its `?` (empty when none), forwarded as it is. */
  readonly query?: string;
  readonly body: Uint8Array;
  /** Aborts when the client goes away. */
  readonly signal: ClientSignal;
  /** Cuts the client connection (a broken upstream stream must not look finished). */
  readonly abortClient?: () => void;
}

/** What is known about a call so far; refusals and the outage path render from it. */
export interface CallContext {
  readonly call: ProxyCall;
  readonly principal: Principal;
  readonly tenant: TenantPolicy;
  readonly table: PriceTable;
  request?: ParsedRequest;
  plan?: CallPlan;
  runId?: string;
}
