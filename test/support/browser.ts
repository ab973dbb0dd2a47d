// A real headless browser for the live view's tests: playwright-core driving the system's
// Chromium (Debian's `chromium` package; .ci/run installs it). Without one, the browser tests are
// skipped with a message, unless RUNCAP_TEST_REQUIRE_BROWSER is set (CI), where that is an error.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser to drive: $RUNCAP_TEST_CHROMIUM (only it, when set), else the first system Chromium, else null. */
export function findChromium(): string | null {
  const chosen = process.env.RUNCAP_TEST_CHROMIUM;
  if (chosen) return existsSync(chosen) ? chosen : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** The path of the browser, or null after saying loudly that the browser tests will not run. */
export function browserOrSkip(suite: string): string | null {
  const path = findChromium();
  if (path !== null) return path;
  const message =
    `${suite}: no Chromium found (${CANDIDATES.join(', ')} or $RUNCAP_TEST_CHROMIUM); ` +
    'the browser tests are SKIPPED. Install it with `apt-get install -y chromium`.';
  if (process.env.RUNCAP_TEST_REQUIRE_BROWSER) throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
  return null;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in a container (CI) has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
