-- xrm schema, version 1 (SQLite). Every table carries workspace_id: tenants are a column, not a database.
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO workspaces (id, name, created_at) VALUES ('default', 'Default workspace', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE entity_types (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    document     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

-- Every version of every entity type, kept for ever (the current one included).
CREATE TABLE entity_type_versions (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    document     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name, version)
);

CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    entity_type  TEXT NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    FOREIGN KEY (workspace_id, entity_type) REFERENCES entity_types(workspace_id, name)
);
CREATE INDEX records_by_type ON records (workspace_id, entity_type, id);

-- Full-text index: rowid = records.rowid, kept in step by the store in the write transaction.
-- Contentless (the text is in records.data already), with deletes:
-- each write touches as few pages as possible.
CREATE VIRTUAL TABLE records_fts USING fts5(
    content, content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The indexes the store created for entity types' indexed, unique and lookup fields.
CREATE TABLE record_indexes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    entity_type  TEXT NOT NULL,
    index_name   TEXT NOT NULL PRIMARY KEY,
    definition   TEXT NOT NULL
);
