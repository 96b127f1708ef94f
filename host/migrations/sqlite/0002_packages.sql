-- xrm schema, version 2 (SQLite): installed packages and their plugin components.
CREATE TABLE packages (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    -- Per-plugin configuration and limit overrides set by the admin: {"plugin": {...}}.
    settings     TEXT NOT NULL DEFAULT '{}',
    installed_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

-- The WebAssembly component of each plugin, base64, with the sha256 of its bytes. Stored in the
-- database so that every host sharing it runs the same code; compiled code is cached per host.
CREATE TABLE plugin_components (
    workspace_id TEXT NOT NULL,
    package      TEXT NOT NULL,
    plugin       TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    component    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, package, plugin),
    FOREIGN KEY (workspace_id, package) REFERENCES packages(workspace_id, name) ON DELETE CASCADE
);
