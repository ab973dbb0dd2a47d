// Prints the code points this Node's regex engine counts as letters, marks or numbers but the
// tiktoken oracle (a dev dependency, Unicode 16.0 in 1.0.22) does not know: characters newer
// than tiktoken's Unicode. src/estimate/unicode-since-tiktoken.ts holds the result, and
// src/estimate/unicode-since-tiktoken.test.ts checks it against tiktoken on every run.
// Usage: node scripts/unicode-since-tiktoken.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { get_encoding } = require('tiktoken');
const o200k = get_encoding('o200k_base');
const WORDISH = /^[\p{L}\p{M}\p{N}]$/u;
/** tiktoken splits " <ch>\uFEFFusing" before "\uFEFFusing" (token 9251) unless <ch> is a symbol to it. */
const wordishToTiktoken = (char) => o200k.encode_ordinary(` ${char}\ufeffusing`).includes(9251);

const newer = [];
for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
  const char = String.fromCodePoint(codePoint);
  if (WORDISH.test(char) && !wordishToTiktoken(char)) newer.push(codePoint);
}
const ranges = [];
for (const codePoint of newer) {
  const last = ranges[ranges.length - 1];
  if (last !== undefined && last[1] === codePoint - 1) last[1] = codePoint;
  else ranges.push([codePoint, codePoint]);
}
const hex = (codePoint) => `0x${codePoint.toString(16)}`;
console.log(`Unicode ${process.versions.unicode}: ${newer.length} code points in ${ranges.length} ranges`);
console.log(ranges.map(([from, to]) => `[${hex(from)}, ${hex(to)}]`).join(', '));
