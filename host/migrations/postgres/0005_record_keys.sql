-- xrm schema, version 5 (PostgreSQL): a record id is unique within its workspace, not across
-- the instance. With a global key, a create that chose an id another workspace uses was
-- refused, which told one tenant that another had that id.
ALTER TABLE records DROP CONSTRAINT records_pkey;
ALTER TABLE records ADD PRIMARY KEY (workspace_id, id);
