// The live view's entry (docs/ui.md): sign-in, hash routing between the runs view and one run's
// view, and the live connection that makes the shown view fetch again within a moment of a change.
import type { Unauthenticated } from './api.js';
import { startLive, type Live, type LiveStatus } from './live.js';
import { runView } from './run-view.js';
import { runsView } from './runs-view.js';
import { forgetToken, storedToken, storeToken } from './session.js';
import { signInView } from './sign-in.js';
import { zoneLabel } from './time.js';
import type { View } from './view.js';

const main = mustFind('main');
const liveBadge = mustFind('live');
const signOut = mustFind('sign-out') as HTMLButtonElement;
const zone = mustFind('zone');

const STATUS_TEXT: Readonly<Record<LiveStatus, string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  stopped: 'signed out',
};

let token: string | null = storedToken();
let live: Live | null = null;
let view: View | null = null;
let refreshing = false;
let again = false;
let lastRefreshMs = 0;
const MIN_REFRESH_GAP_MS = 250;

zone.textContent = `Times in ${zoneLabel()}`;
signOut.addEventListener('click', () => leave(null));
window.addEventListener('hashchange', () => route());
start();

function start(): void {
  if (token === null) return leave(null);
  signOut.hidden = false;
  live?.stop();
  live = startLive({ token, changed: () => void refresh(), status: showStatus, unauthenticated });
  route();
}

function route(): void {
  if (token === null) return;
  const { path, tenant } = parseHash(location.hash);
  const context = { token, unauthenticated };
  const match = /^\/runs\/(.+)$/.exec(path);
  view = match?.[1] ? runView(main, context, decodeURIComponent(match[1]), tenant) : runsView(main, context, tenant);
  document.title = match?.[1] ? `${decodeURIComponent(match[1])} · runcap` : 'Runs · runcap';
  void refresh();
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  (main.querySelector('h1') as HTMLElement | null)?.focus({ preventScroll: true });
}

/**
 * One fetch at a time, at most one every MIN_REFRESH_GAP_MS; changes that arrive meanwhile make
 * exactly one more. A busy runcap's stream of events costs the page a few fetches a second at most.
 */
async function refresh(): Promise<void> {
  if (view === null) return;
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  const wait = lastRefreshMs + MIN_REFRESH_GAP_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  lastRefreshMs = Date.now();
  try {
    await view?.refresh();
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

function unauthenticated(error: Unauthenticated): void {
  leave(`runcap refused the token (401): ${error.message} Sign in again.`);
}

function leave(message: string | null): void {
  forgetToken();
  token = null;
  view = null;
  live?.stop();
  live = null;
  signOut.hidden = true;
  showStatus('stopped');
  document.title = 'Sign in · runcap';
  signInView(main, message, (accepted) => {
    storeToken(accepted);
    token = accepted;
    start();
  });
}

function showStatus(status: LiveStatus): void {
  liveBadge.textContent = STATUS_TEXT[status];
  liveBadge.className = `live live-${status}`;
}

function parseHash(hash: string): { path: string; tenant: string | null } {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const tenant = new URLSearchParams(search).get('tenant');
  return { path: path === '' ? '/runs' : path, tenant: tenant === '' ? null : tenant };
}

function mustFind(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}
