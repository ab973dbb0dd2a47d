// The demo agent's simulated workspace: the tool it offers the model (`read_file`) and the
// deterministic file contents that tool returns, so every run resends the same growing context.
// Pure; reads no real files.
import type OpenAI from 'openai';
import { stableHash } from './sim-reply.js';

export const READ_FILE_TOOL: OpenAI.Chat.Completions.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a file of the repository under audit and return its text.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string', description: 'Path relative to the repository root.' } },
      required: ['path'],
      additionalProperties: false,
    },
  },
};

const VERBS = ['reserve', 'commit', 'release', 'estimate', 'price', 'forward', 'settle', 'expire', 'record', 'refund'];
const NOUNS = ['hold', 'scope', 'ledger', 'usage', 'budget', 'stream', 'decision', 'ceiling', 'window', 'run'];

/** The text `read_file` returns: `lines` lines of plausible TypeScript, the same for the same path. */
export function readSimFile(path: string, lines: number): string {
  let seed = stableHash(path);
  const next = (): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed >>> 8;
  };
  const out = [`// ${path}`];
  for (let i = 1; i < lines; i++) {
    const verb = VERBS[next() % VERBS.length] ?? 'reserve';
    const noun = NOUNS[next() % NOUNS.length] ?? 'hold';
    const amount = next() % 10_000;
    out.push(
      i % 7 === 0
        ? `  // ${verb} the ${noun} atomically; a partial write would leave the counters wrong (${amount} micros)`
        : `  const ${noun}${i} = await ${verb}${capitalize(noun)}(tx, { id: ${noun}Id, amountMicros: ${amount} });`,
    );
  }
  return out.join('\n');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
