-- What each Responses API response was billed, for previous_response_id chains (SPEC §8).
CREATE TABLE response_chains (
  tenant         TEXT    NOT NULL,
  response_id    TEXT    NOT NULL,
  input_tokens   INTEGER NOT NULL CHECK (input_tokens >= 0),
  output_tokens  INTEGER NOT NULL CHECK (output_tokens >= 0),
  created_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (tenant, response_id)
) WITHOUT ROWID;
CREATE INDEX response_chains_by_created ON response_chains (created_at_ms);
