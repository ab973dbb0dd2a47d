-- A decision record's settlement (docs/ledger.md "Decision records"): the keys a settlement patches
-- in (state, actual cost, usage, settled at, ...) are kept as their own small JSON document beside
-- the record, and a read lays them over it. Settling a call then writes a few hundred bytes instead
-- of having SQLite parse and re-serialise the whole record (json_set). Records settled before this
-- migration keep their settlement inside `record`, with NULL here.
ALTER TABLE decisions ADD COLUMN settlement TEXT;
