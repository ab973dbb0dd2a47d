// The README's snippets are the files in examples/ (run by examples.test.ts), verbatim.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('shows every example file verbatim', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/sync-readme.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
    const readme = readFileSync('README.md', 'utf8');
    for (const file of [
      'openai-sdk.ts',
      'budget-aware-agent.ts',
      'agents-sdk.ts',
      'langchain.ts',
      'vercel-ai-sdk.ts',
      'anthropic-sdk.ts',
    ]) {
      expect(readme).toContain(readFileSync(`examples/${file}`, 'utf8').trimEnd());
    }
  });

  it('names the same test command as CI', () => {
    const readme = readFileSync('README.md', 'utf8');
    const ci = readFileSync('.ci/run', 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\s/m);
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
