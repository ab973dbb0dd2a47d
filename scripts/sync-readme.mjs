// Copies the example files into README.md between their markers, so every snippet the
// README shows is a file the test suite runs. `node scripts/sync-readme.mjs --check` fails
// (exit 1) when the README is out of date; test/readme.test.ts runs that check.
import { readFileSync, writeFileSync } from 'node:fs';

const SECTIONS = [
  ['openai-sdk.ts', 'The `openai` SDK (Node)'],
  ['budget-aware-agent.ts', 'Reading the budget and reacting to a 402'],
  ['agents-sdk.ts', 'OpenAI Agents SDK'],
  ['langchain.ts', 'LangChain'],
  ['vercel-ai-sdk.ts', 'Vercel AI SDK'],
  ['anthropic-sdk.ts', 'The Anthropic SDK (Node)'],
];

export function renderExamples(root = new URL('../', import.meta.url)) {
  return SECTIONS.map(([file, title]) => {
    const code = readFileSync(new URL(`examples/${file}`, root), 'utf8').trimEnd();
    return `### ${title}\n\n[\`examples/${file}\`](examples/${file})\n\n\`\`\`ts\n${code}\n\`\`\``;
  }).join('\n\n');
}

export function syncReadme(readme, examples) {
  const start = '<!-- README-EXAMPLES:START -->';
  const end = '<!-- README-EXAMPLES:END -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1) throw new Error('README.md lacks the README-EXAMPLES markers');
  return `${readme.slice(0, from + start.length)}\n${examples}\n${readme.slice(to)}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const path = new URL('../README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const next = syncReadme(readme, renderExamples());
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md examples are out of date: run node scripts/sync-readme.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(path, next);
  }
}
