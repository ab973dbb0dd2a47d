// The embeddings adapter (POST /v1/embeddings, OpenAI API reference "Create embeddings"):
// input-only calls with no output cap. The endpoint does not stream; a `stream` field is
// ignored (never forwarded differently), and the stream meter is a pass-through.
import type { EndpointAdapter, ParsedRequest } from '../adapter.js';
import { estimateEmbeddingsInput } from '../../estimate/embeddings.js';
import { usageFromEmbeddings } from '../usage.js';
import {
  isRecord,
  optionalInteger,
  requireBody,
  requireModel,
  requireTextOrTokens,
  serviceTierField,
} from './body-fields.js';
import { createPassThroughMeter } from './meter-bytes.js';
import { rewriteBody } from './upstream-body.js';

export function parseEmbeddings(raw: unknown): ParsedRequest {
  const body = requireBody(raw);
  const model = requireModel(body);
  requireTextOrTokens(body, 'input');
  optionalInteger(body, 'dimensions', 1);
  return {
    endpoint: 'embeddings',
    body,
    model,
    stream: false,
    clientMaxOutputTokens: null,
    serviceTier: serviceTierField(body),
    outputMultiplier: 1,
    needs: { tools: false, jsonSchema: false, vision: false },
    clientWantsStreamUsage: false,
    previousResponseId: null,
    hasOutput: false,
  };
}

export const embeddingsAdapter: EndpointAdapter = {
  name: 'embeddings',
  provider: 'openai',
  path: '/embeddings',
  parse: parseEmbeddings,
  estimateInput: (request, price, tokenizer) => estimateEmbeddingsInput(request.body, price, tokenizer),
  // Only a model change applies: there is no output cap and no stream.
  prepareUpstream: (request, changes) => rewriteBody(request, changes, { capFields: [], injectStreamUsage: false }),
  usageFromJson: (body) => (isRecord(body) ? usageFromEmbeddings(body['usage']) : null),
  meterStream: () => createPassThroughMeter(),
};
