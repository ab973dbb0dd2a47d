// Worst-case input tokens of non-text parts (images, audio, inline files), which
// are billed by rules of their own rather than by tokenizing their bytes. Pure.
//
// Images (OpenAI "Images and vision: calculating costs"). Tile models: the image is
// fitted inside 2048x2048, then scaled down so its shorter side is at most 768px, then
// billed base + tile x (512px tiles). After both steps the sides are at most 2048 x 768,
// so the most tiles any aspect ratio can give is ceil(2048/512) x ceil(768/512) = 4 x 2 = 8
// (a 2048x768 image): worst case base + 8 x tile, 1445 tokens for gpt-4o. detail "low"
// is the base alone. Patch models: 32px patches, at most 1536, times a per-model
// multiplier, detail ignored. We never know the pixel size, so every high/auto image is
// charged the worst case. Models we do not recognise get the largest patch rule (3779).

import type { ModelPrice } from '../pricing/types.js';

export type ImageRule =
  | { readonly kind: 'tile'; readonly baseTokens: number; readonly tileTokens: number }
  | { readonly kind: 'patch'; readonly multiplier: number };

export const MAX_TILES = 8;
export const MAX_PATCHES = 1536;

const tile = (baseTokens: number, tileTokens: number): ImageRule => ({ kind: 'tile', baseTokens, tileTokens });
const patch = (multiplier: number): ImageRule => ({ kind: 'patch', multiplier });

/** Model-name prefix -> image rule; the longest matching prefix wins. */
const IMAGE_RULES: ReadonlyArray<readonly [string, ImageRule]> = [
  ['gpt-4o-mini', tile(2833, 5667)],
  ['gpt-4o', tile(85, 170)],
  ['chatgpt-4o', tile(85, 170)],
  ['gpt-4-turbo', tile(85, 170)],
  ['gpt-4-vision', tile(85, 170)],
  ['gpt-4.5', tile(85, 170)],
  ['gpt-4.1-mini', patch(1.62)],
  ['gpt-4.1-nano', patch(2.46)],
  ['gpt-4.1', tile(85, 170)],
  ['gpt-5-mini', patch(1.62)],
  ['gpt-5-nano', patch(2.46)],
  ['gpt-5', tile(70, 140)],
  ['o1', tile(75, 150)],
  ['o3', tile(75, 150)],
  ['o4-mini', patch(1.72)],
  ['computer-use-preview', tile(65, 129)],
];

const BY_PREFIX_LENGTH = [...IMAGE_RULES].sort((a, b) => b[0].length - a[0].length);
export const FALLBACK_IMAGE_RULE: ImageRule = patch(2.46);

/** The image rule for a model, matched on its name and aliases ("openai/gpt-4o" works too). */
export function imageRuleFor(price: ModelPrice): ImageRule {
  const names = [price.model, ...price.aliases].map((name) => name.slice(name.lastIndexOf('/') + 1).toLowerCase());
  for (const [prefix, rule] of BY_PREFIX_LENGTH) {
    if (names.some((name) => name.startsWith(prefix))) return rule;
  }
  return FALLBACK_IMAGE_RULE;
}

/** Worst-case tokens of one image part; `detail` as sent ("low" | "high" | "auto" | absent). */
export function imageTokens(price: ModelPrice, detail: unknown): number {
  const rule = imageRuleFor(price);
  if (rule.kind === 'patch') return Math.ceil(MAX_PATCHES * rule.multiplier);
  if (detail === 'low') return rule.baseTokens;
  return rule.baseTokens + MAX_TILES * rule.tileTokens;
}

/**
 * Audio input is billed at about 10 tokens a second. We do not decode audio, so the
 * duration is bounded from the byte size at the lowest plausible byte rate of the
 * format (8 kHz 8-bit mono WAV; 8 kbit/s for compressed formats): an overestimate for
 * real recordings, never an underestimate.
 */
export const AUDIO_TOKENS_PER_SECOND = 10;
const MIN_BYTES_PER_SECOND: Readonly<Record<string, number>> = { wav: 8000, pcm16: 16000 };
const MIN_COMPRESSED_BYTES_PER_SECOND = 1000;

export function audioTokens(data: string, format: unknown): number {
  const bytesPerSecond =
    (typeof format === 'string' ? MIN_BYTES_PER_SECOND[format.toLowerCase()] : undefined) ??
    MIN_COMPRESSED_BYTES_PER_SECOND;
  return Math.ceil((base64Bytes(data) / bytesPerSecond) * AUDIO_TOKENS_PER_SECOND);
}

/**
 * Inline files. PDFs are billed as extracted text plus an image of every page, so
 * a PDF is charged per page (pages found by their page objects or the page-tree
 * count) at the model's worst image plus a dense page of text. Anything else, or a
 * PDF whose page objects are compressed away, is charged a token per 3 bytes
 * (dense text or CJK in UTF-8).
 */
export const PDF_TEXT_TOKENS_PER_PAGE = 1500;
export const FILE_BYTES_PER_TOKEN = 3;

export function inlineFileTokens(fileData: string, price: ModelPrice): number {
  const bytes = base64Bytes(fileData);
  const pages = pdfPages(fileData);
  if (pages > 0) return pages * (imageTokens(price, 'high') + PDF_TEXT_TOKENS_PER_PAGE);
  return Math.ceil(bytes / FILE_BYTES_PER_TOKEN);
}

function base64Payload(data: string): string {
  const comma = data.startsWith('data:') ? data.indexOf(',') : -1;
  return comma >= 0 ? data.slice(comma + 1) : data;
}

/** Decoded size of base64 text (or a data: URL), without decoding it. */
export function base64Bytes(data: string): number {
  const payload = base64Payload(data);
  let padding = 0;
  if (payload.endsWith('==')) padding = 2;
  else if (payload.endsWith('=')) padding = 1;
  return Math.max(0, Math.floor((payload.length * 3) / 4) - padding);
}

const PDF_MAGIC_BASE64 = 'JVBERi'; // "%PDF" encoded
const PAGE_OBJECT = /\/Type\s*\/Page(?![A-Za-z])/g;
const PAGE_COUNT = /\/Count\s+(\d{1,9})(?!\d)/g;
/** A bound on the pages we believe, so a forged "/Count" cannot overflow a token count. */
export const MAX_PDF_PAGES = 10_000;

/** Pages of a base64 PDF (0 when not a PDF or none can be found). */
export function pdfPages(fileData: string): number {
  const payload = base64Payload(fileData);
  if (!payload.startsWith(PDF_MAGIC_BASE64)) return 0;
  const text = Buffer.from(payload, 'base64').toString('latin1');
  let pages = text.match(PAGE_OBJECT)?.length ?? 0;
  for (const match of text.matchAll(PAGE_COUNT)) pages = Math.max(pages, Number(match[1]));
  return Math.min(pages, MAX_PDF_PAGES);
}
