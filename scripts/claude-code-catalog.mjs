// Prints the model catalog (models, pricing tiers, aliases) that Claude Code bundles in its
// executable, as JSON: where prices/sources/curation.json takes what the npm price catalogs do
// not have yet for Claude models (prices, context windows, output limits, dated snapshot ids).
// Usage: npm pack @anthropic-ai/claude-code-linux-x64 in a scratch folder, unpack it, then
//   node scripts/claude-code-catalog.mjs <path to the unpacked package>/claude > catalog.json
// Reads the file only; runs nothing from it.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/claude-code-catalog.mjs <claude executable>\n');
  process.exit(2);
}
const text = readFileSync(file).toString('latin1');
const at = text.indexOf('schema_version:1,pricing_tiers');
if (at < 0) {
  process.stderr.write('no bundled model catalog found (schema_version:1,pricing_tiers)\n');
  process.exit(1);
}
const start = text.lastIndexOf('={', at) + 1;
let depth = 0;
let quote = null;
let end = start;
for (; end < text.length; end++) {
  const c = text[end];
  if (quote) {
    if (c === '\\') end++;
    else if (c === quote) quote = null;
    continue;
  }
  if (c === '"' || c === "'" || c === '`') quote = c;
  else if (c === '{' || c === '[') depth++;
  else if ((c === '}' || c === ']') && --depth === 0) break;
}
// The literal is plain data (strings, numbers, booleans, objects, arrays) written as JS: quote
// its keys and parse it as JSON rather than evaluating anything.
const literal = text
  .slice(start, end + 1)
  .replace(/([{,])\s*([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":')
  .replace(/!0\b/g, 'true')
  .replace(/!1\b/g, 'false');
process.stdout.write(`${JSON.stringify(JSON.parse(literal), null, 2)}\n`);
