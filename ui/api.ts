// The page's client of the budget API (docs/api.md): same origin, `Authorization: Bearer` with
// the viewer's token, JSON in. A refusal becomes an ApiError with runcap's problem code and detail;
// a 401 is its own class so the page can ask for a token again.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class Unauthenticated extends ApiError {
  constructor(message: string) {
    super(401, 'unauthenticated', message);
    this.name = 'Unauthenticated';
  }
}

export type Query = Readonly<Record<string, string | number | null | undefined>>;

export function apiPath(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}

export async function getJson<T>(token: string, path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, null, 'runcap did not answer (is it running, and is this page served by it?).');
  }
  if (response.ok) return (await response.json()) as T;
  throw await refusal(response);
}

/** The problem+json a refusal carries (RFC 9457), as an error. */
export async function refusal(response: Response): Promise<ApiError> {
  let code: string | null = null;
  let detail = `${response.status} ${response.statusText}`.trim();
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null) {
      const problem = body as { code?: unknown; detail?: unknown };
      if (typeof problem.code === 'string') code = problem.code;
      if (typeof problem.detail === 'string') detail = problem.detail;
    }
  } catch {
    // not JSON: keep the status line
  }
  return response.status === 401 ? new Unauthenticated(detail) : new ApiError(response.status, code, detail);
}
