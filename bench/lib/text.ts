// Seeded pseudo-English text for the benchmark bodies: realistic for tiktoken
// (about 4-5 characters a token) and unique per seed, so a "never seen" text really
// misses every cache. Pure.

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'her she there been one all we their has would when if so no will more other its time only these may then first any my ' +
  'now such like our over man me even most made after also did many before must through back years where much your way ' +
  'well down should because each just those people how too little state good very make world still own see men work long ' +
  'get here between both life being under never day same another know while last might us great old year off come since ' +
  'against go came right used take three function return value error request response budget token model agent step tool ' +
  'result context file line test build deploy server client cache query index table column schema retry timeout stream'
).split(' ');

export type Rng = () => number;

/** mulberry32: a tiny, fast, seedable generator in [0, 1). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from any string (FNV-1a). */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Sentences of random words, about `chars` characters long. */
export function proseText(rng: Rng, chars: number): string {
  const parts: string[] = [];
  let length = 0;
  let sentenceStart = true;
  while (length < chars) {
    let word = WORDS[Math.floor(rng() * WORDS.length)] ?? 'the';
    if (sentenceStart) word = word.charAt(0).toUpperCase() + word.slice(1);
    const roll = rng();
    const tail = roll < 0.08 ? '. ' : roll < 0.12 ? ', ' : roll < 0.13 ? '.\n' : ' ';
    sentenceStart = tail.startsWith('.');
    parts.push(word, tail);
    length += word.length + tail.length;
  }
  return parts.join('');
}
