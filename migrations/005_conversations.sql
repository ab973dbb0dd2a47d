-- What each Responses API conversation holds, as learned from the responses billed through
-- runcap (docs/bounds.md): a conversation's next turn is held at least at this many input tokens.
CREATE TABLE conversation_tokens (
  tenant           TEXT    NOT NULL,
  conversation_id  TEXT    NOT NULL,
  tokens           INTEGER NOT NULL CHECK (tokens >= 0),
  updated_at_ms    INTEGER NOT NULL,
  PRIMARY KEY (tenant, conversation_id)
) WITHOUT ROWID;
CREATE INDEX conversation_tokens_by_updated ON conversation_tokens (updated_at_ms);
