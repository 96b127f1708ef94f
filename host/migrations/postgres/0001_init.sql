-- xrm schema, version 1 (PostgreSQL). Every table carries workspace_id: tenants are a column, not a database.
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO workspaces (id, name, created_at)
VALUES ('default', 'Default workspace', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));

CREATE TABLE entity_types (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    document     JSONB NOT NULL,
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
    version      BIGINT NOT NULL,
    document     JSONB NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name, version)
);

CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    entity_type  TEXT NOT NULL,
    version      BIGINT NOT NULL,
    data         JSONB NOT NULL,
    search       TSVECTOR NOT NULL DEFAULT ''::tsvector,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    FOREIGN KEY (workspace_id, entity_type) REFERENCES entity_types(workspace_id, name)
);
CREATE INDEX records_by_type ON records (workspace_id, entity_type, id);
CREATE INDEX records_search ON records USING GIN (search);

-- The indexes the store created for entity types' indexed, unique and lookup fields.
CREATE TABLE record_indexes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    entity_type  TEXT NOT NULL,
    index_name   TEXT NOT NULL PRIMARY KEY,
    definition   TEXT NOT NULL
);
