// Resolves the caller from its key (docs/design.md §2, §8.1): `Authorization: Bearer ...`, or on
// Anthropic endpoints `x-api-key` too. A virtual key by its sha256, the admin token, or a
// passthrough provider key. Picks the upstream of the endpoint's provider. Never stores or logs
// a raw key. Below http/ and pipeline/, which both authenticate; knows nothing of HTTP routing.
import { hash, timingSafeEqual } from 'node:crypto';
import type { Config } from './config/types.js';
import { RuncapError } from './errors.js';
import type { Caller, Principal } from './principal.js';
import type { ProviderName } from './providers.js';

/** The credential headers of a request, as sent. */
export interface Credentials {
  readonly authorization: string | undefined | null;
  /** Anthropic's `x-api-key`; read only for an Anthropic endpoint. */
  readonly apiKey?: string | undefined | null;
}

export function sha256Hex(text: string): string {
  // One-shot (Node >= 20.12): ~0.5 µs here, where createHash().update().digest() took ~2.4 µs.
  return hash('sha256', text, 'hex');
}

export function bearerToken(authorization: string | undefined | null): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

export function passthroughKeyId(providerKey: string): string {
  return `key_${sha256Hex(providerKey).slice(0, 16)}`;
}

export function isAdminToken(config: Config, token: string | null): boolean {
  if (!config.adminToken || !token) return false;
  const expected = Buffer.from(sha256Hex(config.adminToken), 'hex');
  return timingSafeEqual(expected, Buffer.from(sha256Hex(token), 'hex'));
}

/** The key of a request and the header it came in: `x-api-key` wins on Anthropic endpoints, as there. */
function presentedKey(
  credentials: Credentials,
  provider: ProviderName,
): { token: string; header: 'bearer' | 'x-api-key' } | null {
  const apiKey = provider === 'anthropic' ? credentials.apiKey?.trim() : undefined;
  if (apiKey) return { token: apiKey, header: 'x-api-key' };
  const token = bearerToken(credentials.authorization);
  return token ? { token, header: 'bearer' } : null;
}

/**
 * The principal for a proxied call to an endpoint of `provider`; throws 401 `unauthenticated`
 * when there is none. A virtual key uses its own upstream when that serves the provider, else the
 * provider's upstream, with runcap's key for it; a passthrough key goes to the provider's
 * upstream in the header it came in.
 */
export function authenticate(
  config: Config,
  credentials: Credentials | string | undefined | null,
  provider: ProviderName = 'openai',
): Principal {
  const given = typeof credentials === 'object' && credentials !== null ? credentials : { authorization: credentials };
  const presented = presentedKey(given, provider);
  if (!presented) {
    throw new RuncapError(
      'unauthenticated',
      provider === 'anthropic'
        ? 'Send your key as "x-api-key: <key>" or "Authorization: Bearer <key>".'
        : 'Send your key as "Authorization: Bearer <key>".',
    );
  }
  const hash = sha256Hex(presented.token);
  const key = config.keys.get(hash);
  if (key) {
    const own = config.upstreams.get(key.upstream);
    const upstreamName = own?.provider === provider ? key.upstream : config.providerUpstreams.get(provider);
    const upstream = upstreamName === undefined ? undefined : config.upstreams.get(upstreamName);
    if (!upstream?.apiKey) {
      throw new RuncapError(
        'forbidden',
        `This runcap has no ${provider} provider key for virtual keys (set the api_key_env of its ${provider} upstream).`,
      );
    }
    return {
      kind: 'virtual',
      tenant: key.tenant,
      keyId: key.id,
      userId: key.user,
      teamId: key.team,
      upstream: upstream.name,
      providerKey: upstream.apiKey,
      ...(provider === 'anthropic' ? { credential: 'x-api-key' as const } : {}),
    };
  }
  if (!config.passthrough)
    throw new RuncapError('unauthenticated', 'Unknown key: this runcap accepts only its configured virtual keys.');
  const upstream = config.providerUpstreams.get(provider);
  if (upstream === undefined) {
    throw new RuncapError('forbidden', `This runcap has no ${provider} upstream configured.`);
  }
  return {
    kind: 'passthrough',
    tenant: 'default',
    keyId: `key_${hash.slice(0, 16)}`,
    userId: null,
    teamId: null,
    upstream,
    providerKey: presented.token,
    ...(presented.header === 'x-api-key' ? { credential: 'x-api-key' as const } : {}),
  };
}

/**
 * A budget API caller: the admin token, or a principal as for proxied calls. A virtual key is
 * resolved against its own upstream's provider (an Anthropic-only runcap has no OpenAI key to
 * need); a passthrough key sent as `x-api-key` is an Anthropic key (checked with Anthropic), one
 * sent as a bearer token an OpenAI key, as on the proxied endpoints.
 */
export function authenticateCaller(
  config: Config,
  authorization: string | undefined | null,
  apiKey?: string | undefined | null,
): Caller {
  if (isAdminToken(config, bearerToken(authorization))) return { admin: true };
  const presentedApiKey = apiKey?.trim() || null;
  const token = presentedApiKey ?? bearerToken(authorization);
  const virtual = token === null ? undefined : config.keys.get(sha256Hex(token));
  const provider: ProviderName = virtual
    ? (config.upstreams.get(virtual.upstream)?.provider ?? 'openai')
    : presentedApiKey
      ? 'anthropic'
      : 'openai';
  return { admin: false, principal: authenticate(config, { authorization, apiKey: presentedApiKey }, provider) };
}
