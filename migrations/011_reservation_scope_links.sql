-- A reservation's scope links (the scope counters it moves, in request order, and whether it holds
-- on each) move into its own row (docs/ledger.md "What one call writes"): `scope_links`, a JSON
-- array of [scope key, held] pairs; the key names the scope's type and id (src/ledger/windows.ts
-- scopeKey). A reserve then writes one row instead of one more per scope (and a page fewer per
-- transaction), and a settlement reads them with the row. Existing links are copied over in their
-- order and their table dropped.
ALTER TABLE reservations ADD COLUMN scope_links TEXT NOT NULL DEFAULT '[]';
UPDATE reservations SET scope_links = (
  SELECT json_group_array(json_array(scope_key, held) ORDER BY position)
  FROM reservation_scopes WHERE reservation_id = reservations.id
) WHERE EXISTS (SELECT 1 FROM reservation_scopes WHERE reservation_id = reservations.id);
DROP TABLE reservation_scopes;
