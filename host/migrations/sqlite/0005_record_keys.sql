-- xrm schema, version 5 (SQLite): a record id is unique within its workspace, not across the
-- instance. With a global key, a create that chose an id another workspace uses was refused,
-- which told one tenant that another had that id.
--
-- SQLite cannot change a primary key in place, so the table is rebuilt. The rowid is kept
-- (`records_fts` is keyed by it) and becomes an explicit INTEGER PRIMARY KEY, `seq`, so that a
-- VACUUM can never renumber it behind the full-text index's back.
--
-- Dropping the old table drops the per-type indexes the store made for entity types
-- (`record_indexes`); the store recreates every missing one when it opens the database
-- (`Store::migrate`).
CREATE TABLE records_v5 (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    entity_type  TEXT NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    owned_by     TEXT,
    owning_team  TEXT,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, entity_type) REFERENCES entity_types(workspace_id, name)
);
INSERT INTO records_v5 (seq, id, workspace_id, entity_type, version, data, created_at,
                        updated_at, created_by, updated_by, owned_by, owning_team)
SELECT rowid, id, workspace_id, entity_type, version, data, created_at,
       updated_at, created_by, updated_by, owned_by, owning_team
FROM records;
DROP TABLE records;
ALTER TABLE records_v5 RENAME TO records;
CREATE INDEX records_by_type ON records (workspace_id, entity_type, id);
CREATE INDEX records_by_owner ON records (workspace_id, entity_type, owned_by);
CREATE INDEX records_by_team ON records (workspace_id, entity_type, owning_team);
