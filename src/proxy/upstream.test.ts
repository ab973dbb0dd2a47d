// The header policy of both directions (docs/security.md "Headers"), table-driven.
import { describe, expect, it } from 'vitest';
import { clientHeaders, upstreamHeaders } from './upstream.js';

const passthrough = { kind: 'passthrough', providerKey: 'sk-caller' } as const;
const virtual = { kind: 'virtual', providerKey: 'sk-runcap' } as const;

describe('upstreamHeaders', () => {
  const client = new Headers({
    authorization: 'Bearer rc-virtual',
    'x-api-key': 'rc-virtual',
    connection: 'keep-alive, X-Hop, x-other-hop',
    'x-hop': '1',
    'x-other-hop': '2',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    cookie: 'a=b',
    forwarded: 'for=1.2.3.4',
    'x-forwarded-for': '1.2.3.4',
    'x-forwarded-proto': 'https',
    'x-real-ip': '1.2.3.4',
    'cf-connecting-ip': '1.2.3.4',
    'x-run-id': 'run-1',
    'x-run-budget-usd': '1.00',
    'x-budget-feature': 'search',
    'accept-encoding': 'gzip, br',
    'content-length': '12',
    'openai-organization': 'org-1',
    'openai-project': 'proj-1',
    'openai-beta': 'assistants=v2',
    'x-stainless-lang': 'js',
    'user-agent': 'OpenAI/JS 6.0',
    'x-custom': 'yes',
  });

  it.each([
    [
      'passthrough',
      passthrough,
      ['openai-organization', 'openai-project', 'openai-beta', 'x-stainless-lang', 'user-agent', 'x-custom'],
    ],
    ['virtual', virtual, ['openai-beta', 'x-stainless-lang', 'user-agent']],
  ] as const)('%s: forwards exactly the allowed headers, with the key to use', (_, principal, kept) => {
    const out = upstreamHeaders(client, principal);
    expect(Object.keys(out).sort()).toEqual([...kept, 'accept-encoding', 'authorization'].sort());
    expect(out.authorization).toBe(`Bearer ${principal.providerKey}`);
    expect(out['accept-encoding']).toBe('identity');
  });
});

describe('clientHeaders', () => {
  const upstream = {
    'content-type': 'application/json',
    'content-length': '42',
    'content-encoding': 'gzip',
    connection: 'keep-alive, X-Up-Hop',
    'x-up-hop': '1',
    'transfer-encoding': 'chunked',
    'set-cookie': ['a=b', 'c=d'],
    'alt-svc': 'h3=":443"',
    'strict-transport-security': 'max-age=1',
    'openai-organization': 'org-shared',
    'openai-project': 'proj-shared',
    'x-ratelimit-remaining-tokens': '10',
    'x-request-id': 'req_1',
    'retry-after-ms': '20',
    'cf-ray': 'abc',
  };

  it('returns the provider headers a passthrough caller may see (its own account), minus origin-bound ones', () => {
    expect(Object.keys(clientHeaders(upstream, 'passthrough')).sort()).toEqual(
      [
        'content-type',
        'openai-organization',
        'openai-project',
        'x-ratelimit-remaining-tokens',
        'x-request-id',
        'retry-after-ms',
        'cf-ray',
      ].sort(),
    );
  });

  it('joins a repeated header with ", " and writes the default content type when the provider sent none, as a Headers would', () => {
    const headers = clientHeaders({ 'x-request-id': 'req_1', 'x-multi': ['1.1 a', '1.1 b'] }, 'passthrough');
    expect(headers).toEqual({
      'x-request-id': 'req_1',
      'x-multi': '1.1 a, 1.1 b',
      'content-type': 'text/plain; charset=UTF-8',
    });
    expect(clientHeaders(upstream, 'passthrough')['content-type']).toBe('application/json');
  });

  it('returns only the allow-listed headers to a virtual-key caller', () => {
    expect(Object.keys(clientHeaders(upstream, 'virtual')).sort()).toEqual(
      ['content-type', 'x-request-id', 'retry-after-ms'].sort(),
    );
  });
});
