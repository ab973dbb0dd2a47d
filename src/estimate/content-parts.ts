// Counts message content for the chat and Responses APIs: a string, or a list of
// typed parts (text, images, audio, files). Unknown parts count as their JSON. Every file
// part is also recorded as input the provider adds from its side: it extracts the text and
// renders the pages by its own rules, which no byte count bounds (docs/bounds.md). Pure.
import type { ModelPrice } from '../pricing/types.js';
import { audioTokens, imageTokens, inlineFileTokens } from './media-tokens.js';
import type { TextCounter } from './text-counter.js';

type Part = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Tokens of a `content` value: string, list of parts, null/absent (0), or anything else as JSON. */
export function countContent(content: unknown, counter: TextCounter, price: ModelPrice): number {
  if (content === null || content === undefined) return 0;
  if (typeof content === 'string') return counter.text(content);
  if (!Array.isArray(content)) return counter.json(content);
  let tokens = 0;
  for (const part of content) tokens += countPart(part, counter, price);
  return tokens;
}

export function countPart(part: unknown, counter: TextCounter, price: ModelPrice): number {
  if (typeof part === 'string') return counter.text(part);
  if (!isRecord(part)) return counter.json(part);
  switch (part['type']) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return typeof part['text'] === 'string' ? counter.text(part['text']) : counter.json(part);
    case 'refusal':
      return typeof part['refusal'] === 'string' ? counter.text(part['refusal']) : counter.json(part);
    case 'image_url':
      return countImage(part['image_url'], price);
    case 'input_image':
      return imageTokens(price, part['detail']);
    case 'input_audio':
      return countAudio(part['input_audio'], counter);
    case 'file':
      return isRecord(part['file']) ? countFile(part['file'], counter, price) : counter.json(part);
    case 'input_file':
      return countFile(part, counter, price);
    default:
      return counter.json(part);
  }
}

/** Chat `image_url`: `{ url, detail }` (a bare URL string is tolerated). */
function countImage(imageUrl: unknown, price: ModelPrice): number {
  return imageTokens(price, isRecord(imageUrl) ? imageUrl['detail'] : undefined);
}

function countAudio(audio: unknown, counter: TextCounter): number {
  if (!isRecord(audio)) return counter.json(audio);
  const { data, ...rest } = audio;
  if (typeof data !== 'string') return counter.json(audio);
  return audioTokens(data, rest['format']) + counter.json(rest);
}

/**
 * A file object: inline `file_data` by the file rule (a floor, not a bound: a PDF's pages can
 * hide in compressed object streams, a document format can inflate), the rest (name, id, url)
 * as JSON. By id or URL the content is the provider's alone. Either way: unmeasured input.
 */
function countFile(file: Part, counter: TextCounter, price: ModelPrice): number {
  counter.unmeasured('file');
  const { file_data: fileData, ...rest } = file;
  const inline =
    typeof fileData === 'string'
      ? inlineFileTokens(fileData, price)
      : fileData === undefined
        ? 0
        : counter.json(fileData);
  return inline + counter.json(rest);
}
