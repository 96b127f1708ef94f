-- xrm schema, version 4 (PostgreSQL): roles, users, teams, sessions, API tokens, record ownership
-- and the audit trail. Every row belongs to one workspace.

-- Record ownership: a user (owned_by) and optionally a team (owning_team). No foreign keys:
-- a removed user or team leaves the record owned by nobody, never unreadable for admins.
ALTER TABLE records ADD COLUMN owned_by TEXT;
ALTER TABLE records ADD COLUMN owning_team TEXT;
CREATE INDEX records_by_owner ON records (workspace_id, entity_type, owned_by);
CREATE INDEX records_by_team ON records (workspace_id, entity_type, owning_team);

-- A role's permissions are a JSON document (docs/security.md).
CREATE TABLE roles (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    permissions  JSONB NOT NULL,
    built_in     BIGINT NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

-- Users belong to one workspace; the e-mail is stored lower-cased.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    instance_admin BIGINT NOT NULL DEFAULT 0,
    disabled       BIGINT NOT NULL DEFAULT 0,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_login_at  TEXT,
    UNIQUE (workspace_id, email),
    FOREIGN KEY (workspace_id, role) REFERENCES roles(workspace_id, name)
);

CREATE TABLE teams (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    workspace_id TEXT NOT NULL,
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_by_user ON team_members (user_id);

-- Only the SHA-256 of a session's secret is kept.
CREATE TABLE sessions (
    secret_hash  TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Only the SHA-256 of a token's secret is kept.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT,
    FOREIGN KEY (workspace_id, role) REFERENCES roles(workspace_id, name)
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id, created_at);

-- Append-only: written in the transaction of the change it describes, never updated; rows go
-- only with their whole workspace.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    at           TEXT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    via          TEXT NOT NULL,
    request_id   TEXT,
    action       TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_type TEXT,
    subject_id   TEXT NOT NULL,
    before       TEXT,
    after        TEXT,
    changed      TEXT
);
CREATE INDEX audit_by_time ON audit_log (workspace_id, at, id);
CREATE INDEX audit_by_subject ON audit_log (workspace_id, subject_kind, subject_id, at, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries cannot be changed';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
