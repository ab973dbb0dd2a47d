// Groups a request's never-seen texts into batches for the worker pool: each batch about
// `maxChars` characters, so the pool's workers share one large request and a batch is a
// few milliseconds of work. Pure.

export interface BatchLimits {
  /** A batch closes once it holds this many characters. */
  readonly maxChars: number;
  /** ... or this many texts (bounds one message's structured-clone size for tiny texts). */
  readonly maxTexts: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxChars: 64 * 1024, maxTexts: 8192 };

/** The texts in order, cut into consecutive batches; every text is in exactly one batch. */
export function batchTexts(texts: readonly string[], limits: BatchLimits = DEFAULT_BATCH_LIMITS): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let chars = 0;
  for (const text of texts) {
    batch.push(text);
    chars += text.length;
    if (chars >= limits.maxChars || batch.length >= limits.maxTexts) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
