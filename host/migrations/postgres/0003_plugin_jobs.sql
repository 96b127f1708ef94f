-- xrm schema, version 3 (PostgreSQL): the plugin outbox (after-change and schedule deliveries),
-- schedule state, and recent plugin failures.

-- One delivery of an event to one plugin. Written in the transaction of the change (or of the
-- schedule firing), removed in the transaction that records its success; a failure sets
-- run_after for the retry, and status 'dead' after the last attempt. A claim sets locked_until,
-- so a host that dies mid-delivery only delays it.
CREATE TABLE plugin_jobs (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    package      TEXT NOT NULL,
    plugin       TEXT NOT NULL,
    hook         TEXT NOT NULL,
    event        TEXT NOT NULL,
    depth        BIGINT NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     BIGINT NOT NULL DEFAULT 0,
    run_after    TEXT NOT NULL,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    FOREIGN KEY (workspace_id, package) REFERENCES packages(workspace_id, name) ON DELETE CASCADE
);
CREATE INDEX plugin_jobs_due ON plugin_jobs (run_after) WHERE status = 'pending';
CREATE INDEX plugin_jobs_by_package ON plugin_jobs (workspace_id, package, status, created_at);

-- When each declared schedule is next due. Hosts fire a schedule by moving next_due forward
-- with a compare-and-set, so one firing is claimed by exactly one host.
CREATE TABLE plugin_schedules (
    workspace_id TEXT NOT NULL,
    package      TEXT NOT NULL,
    plugin       TEXT NOT NULL,
    schedule     TEXT NOT NULL,
    cron         TEXT NOT NULL,
    next_due     TEXT NOT NULL,
    last_fired   TEXT,
    PRIMARY KEY (workspace_id, package, plugin, schedule),
    FOREIGN KEY (workspace_id, package) REFERENCES packages(workspace_id, name) ON DELETE CASCADE
);

-- The most recent failures of each package's plugins, for the admin (capped per package).
CREATE TABLE plugin_failures (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    package      TEXT NOT NULL,
    plugin       TEXT NOT NULL,
    hook         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    entity_type  TEXT,
    record_id    TEXT,
    at           TEXT NOT NULL,
    FOREIGN KEY (workspace_id, package) REFERENCES packages(workspace_id, name) ON DELETE CASCADE
);
CREATE INDEX plugin_failures_recent ON plugin_failures (workspace_id, package, at);

-- The publisher keys (ed25519, base64) an admin trusts to sign packages.
CREATE TABLE trusted_publishers (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name),
    UNIQUE (workspace_id, public_key)
);

-- The key that signed each installed package (base64), or NULL when it came unsigned.
ALTER TABLE packages ADD COLUMN signed_by TEXT;
