// The viewer's token (an admin token or a key), kept for this tab only: sessionStorage, never
// localStorage or a cookie, so closing the tab forgets it and no request carries it by itself.

const TOKEN_ITEM = 'runcap.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_ITEM);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_ITEM, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_ITEM);
}
