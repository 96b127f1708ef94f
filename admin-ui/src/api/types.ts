// The shapes of the public REST API (docs/api.md) as the admin UI reads them.
import type { Permissions } from '../auth/permissions';

/** A JSON Schema document or sub-schema; the UI reads only the keywords it knows. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  'x-xrm'?: XrmAnnotations;
  [keyword: string]: unknown;
}

export type OnDelete = 'restrict' | 'cascade' | 'set_null';

export interface Lookup {
  target: string;
  on_delete?: OnDelete;
}

export interface StateMachine {
  field: string;
  initial?: string[];
  transitions: Record<string, string[]>;
}

export interface XrmAnnotations {
  name: string;
  display_name: string;
  plural_name?: string;
  title_field: string;
  indexed?: string[];
  unique?: (string | string[])[];
  search?: string[];
  lookups?: Record<string, Lookup>;
  state_machine?: StateMachine;
}

export interface EntityType {
  name: string;
  version: number;
  display_name: string;
  plural_name: string;
  created_at: string;
  updated_at: string;
  schema: JsonSchema;
}

export const SYSTEM_FIELDS = ['id', 'version', 'created_at', 'updated_at', 'created_by', 'updated_by', 'owned_by', 'owning_team'] as const;

export interface RecordData {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  /** The owning user and team (docs/security.md, "Record ownership"). */
  owned_by?: string | null;
  owning_team?: string | null;
  _expand?: Record<string, RecordData | null>;
  [field: string]: unknown;
}

export interface ListResponse<T> {
  value: T[];
  count?: number;
  next_cursor?: string;
  next_link?: string;
}

export interface Hook {
  hook: string;
  entity_type?: string;
  priority?: number;
}

export interface PluginAction {
  name: string;
  entity_type: string;
  display_name?: string;
  input_schema?: JsonSchema;
}

export interface PluginLimits {
  sync_deadline_ms?: number | null;
  async_deadline_ms?: number | null;
  memory_mb?: number | null;
  host_calls?: number | null;
}

export interface PluginSettings {
  config?: Record<string, unknown>;
  limits?: PluginLimits;
}

export interface Plugin {
  name: string;
  component: string;
  capabilities: Record<string, string[]>;
  hooks: Hook[];
  actions: PluginAction[];
  reports: { name: string; display_name?: string }[];
  schedules: { name: string; cron: string }[];
  config_schema?: JsonSchema | null;
  limits?: PluginLimits | null;
  sha256: string;
  settings?: PluginSettings;
  /** The limits in force: the admin's settings over the manifest's over the host's defaults. */
  effective_limits?: PluginLimits;
}

export interface Package {
  name: string;
  version: string;
  publisher: string;
  description?: string;
  api: string;
  enabled: boolean;
  installed_at: string;
  updated_at: string;
  installed_by?: string;
  plugins: Plugin[];
  /** trusted: signed by a key this workspace trusts; untrusted: signed by another key; unsigned. */
  signature?: { status: 'trusted' | 'untrusted' | 'unsigned'; public_key: string | null; publisher: string | null };
  /** The entity types the package manages, with the type version it last set. */
  entity_types?: { name: string; version: number }[];
  /** Whether the package ships sample data (loaded only when asked for at install). */
  sample_data?: boolean;
}

export interface PluginStat {
  plugin: string;
  hook: string;
  invocations: number;
  failures: number;
  latency_ms: { p50: number; p95: number; p99: number };
}

export interface PluginFailure {
  at: string;
  plugin: string;
  hook: string;
  kind: string;
  reason: string;
  entity_type?: string;
  record_id?: string;
}

export interface ReportInfo {
  name: string;
  display_name: string;
  description?: string;
  package: string;
  plugin: string;
  parameters: JsonSchema | null;
}

export type ColumnKind = 'text' | 'number' | 'integer' | 'boolean' | 'date' | 'date-time';

export interface ReportResult {
  name: string;
  display_name: string;
  columns: { name: string; label: string; kind: ColumnKind }[];
  rows: unknown[][];
  chart: { kind: 'bar' | 'line' | 'pie'; x: string; y: string[] } | null;
}

/** An after-change or schedule delivery of the outbox (`/plugin-jobs`). */
export interface PluginJob {
  id: string;
  package: string;
  plugin: string;
  hook: string;
  status: 'pending' | 'dead' | string;
  attempts: number;
  run_after: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  event: unknown;
}

export interface PackageSchedule {
  plugin: string;
  name: string;
  cron: string;
  next_due: string | null;
  last_fired: string | null;
}

export interface TrustedPublisher {
  name: string;
  public_key: string;
  added_at: string;
}

// Sign-in, users, teams, roles, tokens, workspaces and the audit trail (docs/security.md).

export interface SessionUser {
  id: string;
  email: string;
  display_name: string;
  role: string;
  instance_admin: boolean;
  teams: string[];
}

export interface Session {
  user: SessionUser;
  workspace: { id: string; name: string };
  csrf_token: string;
  expires_at: string;
  permissions: Permissions;
}

export interface User {
  id: string;
  email: string;
  display_name: string;
  role: string;
  instance_admin: boolean;
  disabled: boolean;
  teams: string[];
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

/** A person of the workspace as every member sees them (GET /members). */
export interface Member {
  id: string;
  email: string;
  display_name: string;
  disabled: boolean;
  teams: string[];
}

export interface NewUser {
  email: string;
  display_name: string;
  password: string;
  role: string;
  disabled?: boolean;
}

export type UserChange = Partial<NewUser>;

export interface Team {
  id: string;
  name: string;
  members: string[];
  [key: string]: unknown;
}

export interface Role {
  name: string;
  description: string;
  permissions: Permissions;
  [key: string]: unknown;
}

export interface ApiToken {
  id: string;
  name: string;
  role: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** Only in the answer to the create: the secret, shown this once. */
  token?: string;
}

export interface Workspace {
  id: string;
  name: string;
  created_at: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: 'user' | 'token' | 'plugin' | 'system' | string; id?: string | null; name?: string | null };
  via: string;
  request_id?: string | null;
  action: string;
  subject: { kind: string; type?: string | null; id?: string | null; [key: string]: unknown };
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  changed?: string[] | null;
}

export interface AuditPage {
  value: AuditEntry[];
  next_cursor?: string | null;
}
