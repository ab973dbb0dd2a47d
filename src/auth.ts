// Resolves the caller from `Authorization: Bearer ...` (docs/design.md §2): a virtual key by its
// sha256, the admin token, or a passthrough provider key. Never stores or logs a raw key.
// Below http/ and pipeline/, which both authenticate; knows nothing of HTTP routing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from './config/types.js';
import { RuncapError } from './errors.js';
import type { Caller, Principal } from './principal.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/** The principal for a proxied call; throws 401 `unauthenticated` when there is none. */
export function authenticate(config: Config, authorization: string | undefined | null): Principal {
  const token = bearerToken(authorization);
  if (!token) throw new RuncapError('unauthenticated', 'Send your key as "Authorization: Bearer <key>".');
  const hash = sha256Hex(token);
  const key = config.keys.get(hash);
  if (key) {
    const upstream = config.upstreams.get(key.upstream);
    return {
      kind: 'virtual',
      tenant: key.tenant,
      keyId: key.id,
      userId: key.user,
      teamId: key.team,
      upstream: key.upstream,
      providerKey: upstream?.apiKey ?? null,
    };
  }
  if (!config.passthrough)
    throw new RuncapError('unauthenticated', 'Unknown key: this runcap accepts only its configured virtual keys.');
  return {
    kind: 'passthrough',
    tenant: 'default',
    keyId: `key_${hash.slice(0, 16)}`,
    userId: null,
    teamId: null,
    upstream: config.defaultUpstream,
    providerKey: token,
  };
}

/** A budget API caller: the admin token, or a principal as for proxied calls. */
export function authenticateCaller(config: Config, authorization: string | undefined | null): Caller {
  if (isAdminToken(config, bearerToken(authorization))) return { admin: true };
  return { admin: false, principal: authenticate(config, authorization) };
}
