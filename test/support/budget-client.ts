// A small fetch client for the budget API in e2e tests: JSON in, status + headers + parsed body out.
export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface ApiOptions {
  readonly key?: string | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: ApiOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** A non-streaming chat call through the proxy; resolves with the response (body consumed). */
export async function chat(
  baseUrl: string,
  key: string,
  runId: string | null,
  options: { model?: string; maxTokens?: number; content?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  return api(baseUrl, 'POST', '/v1/chat/completions', {
    key,
    headers: { ...(runId ? { 'x-run-id': runId } : {}), ...options.headers },
    body: {
      model: options.model ?? 'gpt-4o-mini',
      messages: [{ role: 'user', content: options.content ?? 'Hello' }],
      max_tokens: options.maxTokens ?? 50,
    },
  });
}
