-- xrm schema, version 6 (PostgreSQL): the entity types each package manages. A type is managed
-- by one package at most; a type no package manages is the admin's own.
CREATE TABLE package_entity_types (
    workspace_id TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    package      TEXT NOT NULL,
    -- The type version the package last created, adopted or updated: an upgrade that finds a
    -- later version knows an admin changed the type since, and does not overwrite it silently.
    type_version BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, entity_type),
    FOREIGN KEY (workspace_id, package) REFERENCES packages(workspace_id, name) ON DELETE CASCADE
);
CREATE INDEX package_entity_types_by_package ON package_entity_types (workspace_id, package);
