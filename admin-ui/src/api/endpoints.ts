// Every API call the UI makes, one function per endpoint of docs/api.md.
import { etag, request, type Query } from './client';
import type { Permissions } from '../auth/permissions';
import type {
  ApiToken,
  AuditPage,
  EntityType,
  JsonSchema,
  ListResponse,
  Member,
  NewUser,
  Package,
  PackageSchedule,
  PluginFailure,
  PluginJob,
  PluginSettings,
  PluginStat,
  RecordData,
  ReportInfo,
  ReportResult,
  Role,
  Session,
  Team,
  TrustedPublisher,
  User,
  UserChange,
  Workspace,
} from './types';

const seg = encodeURIComponent;

// Entity types.

export const listEntityTypes = () => request<ListResponse<EntityType>>('/entity-types');

export const getEntityType = (name: string) => request<EntityType>(`/entity-types/${seg(name)}`);

export const createEntityType = (schema: JsonSchema) =>
  request<EntityType>('/entity-types', { method: 'POST', json: schema });

export const updateEntityType = (name: string, schema: JsonSchema, version: number, allowInvalidRecords = false) =>
  request<EntityType>(`/entity-types/${seg(name)}`, {
    method: 'PUT',
    json: schema,
    headers: { 'If-Match': etag(version) },
    query: { allow_invalid_records: allowInvalidRecords || undefined },
  });

export const deleteEntityType = (name: string, deleteRecords: boolean) =>
  request<void>(`/entity-types/${seg(name)}`, {
    method: 'DELETE',
    query: { delete_records: deleteRecords || undefined },
  });

// Records.

export interface ListOptions {
  $filter?: string;
  $orderby?: string;
  $select?: string;
  $top?: number;
  $count?: boolean;
  $expand?: string;
  $search?: string;
  $cursor?: string;
}

export const listRecords = (type: string, options: ListOptions, signal?: AbortSignal) =>
  request<ListResponse<RecordData>>(`/records/${seg(type)}`, { query: options as Query, signal });

export const getRecord = (type: string, id: string) => request<RecordData>(`/records/${seg(type)}/${seg(id)}`);

export const createRecord = (type: string, data: Record<string, unknown>) =>
  request<RecordData>(`/records/${seg(type)}`, { method: 'POST', json: data });

export const replaceRecord = (type: string, id: string, data: Record<string, unknown>, version: number) =>
  request<RecordData>(`/records/${seg(type)}/${seg(id)}`, {
    method: 'PUT',
    json: data,
    headers: { 'If-Match': etag(version) },
  });

export const deleteRecord = (type: string, id: string, version: number) =>
  request<void>(`/records/${seg(type)}/${seg(id)}`, { method: 'DELETE', headers: { 'If-Match': etag(version) } });

export const listRelated = (type: string, id: string, sourceType: string, via: string, options: ListOptions) =>
  request<ListResponse<RecordData>>(`/records/${seg(type)}/${seg(id)}/related/${seg(sourceType)}`, {
    query: { via, ...options } as Query,
  });

export const runAction = (type: string, id: string, action: string, input: unknown) =>
  request<unknown>(`/records/${seg(type)}/${seg(id)}/actions/${seg(action)}`, { method: 'POST', json: input ?? {} });

// Packages and plugins.

export const listPackages = () => request<ListResponse<Package>>('/packages');

export const getPackage = (name: string) => request<Package>(`/packages/${seg(name)}`);

export const installPackage = (archive: Blob, options: { sampleData?: boolean } = {}) =>
  request<Package>(options.sampleData ? '/packages?sample_data=true' : '/packages', {
    method: 'POST',
    body: archive,
    headers: { 'Content-Type': 'application/x-tar' },
  });

export const upgradePackage = (name: string, archive: Blob) =>
  request<Package>(`/packages/${seg(name)}`, {
    method: 'PUT',
    body: archive,
    headers: { 'Content-Type': 'application/x-tar' },
  });

export const setPackageEnabled = (name: string, enabled: boolean) =>
  request<Package>(`/packages/${seg(name)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' });

export const uninstallPackage = (name: string) => request<void>(`/packages/${seg(name)}`, { method: 'DELETE' });

export const savePluginSettings = (packageName: string, plugin: string, settings: PluginSettings) =>
  request<Package>(`/packages/${seg(packageName)}/plugins/${seg(plugin)}/settings`, { method: 'PUT', json: settings });

export const getPackageStats = (name: string) => request<ListResponse<PluginStat>>(`/packages/${seg(name)}/stats`);

export const getPackageFailures = (name: string) =>
  request<ListResponse<PluginFailure>>(`/packages/${seg(name)}/failures`);

export const listSchedules = (name: string) =>
  request<ListResponse<PackageSchedule>>(`/packages/${seg(name)}/schedules`);

export const runSchedule = (packageName: string, plugin: string, schedule: string) =>
  request<PluginJob>(`/packages/${seg(packageName)}/plugins/${seg(plugin)}/schedules/${seg(schedule)}/run`, {
    method: 'POST',
  });

// Plugin deliveries (the outbox) and dead letters.

export interface JobFilter {
  status?: 'pending' | 'dead';
  package?: string;
  $top?: number;
}

export const listPluginJobs = (filter: JobFilter = {}) =>
  request<ListResponse<PluginJob>>('/plugin-jobs', { query: filter as Query });

export const getPluginJob = (id: string) => request<PluginJob>(`/plugin-jobs/${seg(id)}`);

export const retryPluginJob = (id: string) => request<PluginJob>(`/plugin-jobs/${seg(id)}/retry`, { method: 'POST' });

export const discardPluginJob = (id: string) => request<void>(`/plugin-jobs/${seg(id)}`, { method: 'DELETE' });

// Trusted publishers.

export const listTrustedPublishers = () => request<ListResponse<TrustedPublisher>>('/trusted-publishers');

export const trustPublisher = (name: string, publicKey: string) =>
  request<TrustedPublisher>('/trusted-publishers', { method: 'POST', json: { name, public_key: publicKey } });

export const distrustPublisher = (name: string) =>
  request<void>(`/trusted-publishers/${seg(name)}`, { method: 'DELETE' });

// Reports.

export const listReports = () => request<ListResponse<ReportInfo>>('/reports');

export const runReport = (name: string, parameters: Query) =>
  request<ReportResult>(`/reports/${seg(name)}`, { query: parameters });

/** The items of a listing, whether it answers `{"value": [...]}` or a bare array. */
export function valuesOf<T>(body: ListResponse<T> | T[] | null | undefined): T[] {
  if (Array.isArray(body)) return body;
  return body?.value ?? [];
}

const list = async <T>(path: string) => valuesOf(await request<ListResponse<T> | T[]>(path));

// Sign-in and sessions.

export const getSession = () => request<Session>('/auth/session', { authRedirect: false });

export const login = (workspace: string, email: string, password: string) =>
  request<Session>('/auth/login', { method: 'POST', json: { workspace, email, password }, authRedirect: false });

export const logout = () => request<void>('/auth/logout', { method: 'POST', authRedirect: false });

export const changePassword = (currentPassword: string, newPassword: string) =>
  request<void>('/auth/password', {
    method: 'PUT',
    json: { current_password: currentPassword, new_password: newPassword },
    authRedirect: false,
  });

// Users, teams, roles.

export const listUsers = () => list<User>('/users');
export const listMembers = () => list<Member>('/members');
export const getUser = (id: string) => request<User>(`/users/${seg(id)}`);
export const createUser = (user: NewUser) => request<User>('/users', { method: 'POST', json: user });
export const updateUser = (id: string, change: UserChange) => request<User>(`/users/${seg(id)}`, { method: 'PATCH', json: change });
export const deleteUser = (id: string) => request<void>(`/users/${seg(id)}`, { method: 'DELETE' });

export const listTeams = () => list<Team>('/teams');
export const createTeam = (name: string, members: string[]) => request<Team>('/teams', { method: 'POST', json: { name, members } });
export const updateTeam = (id: string, change: { name?: string; members?: string[] }) =>
  request<Team>(`/teams/${seg(id)}`, { method: 'PATCH', json: change });
export const deleteTeam = (id: string) => request<void>(`/teams/${seg(id)}`, { method: 'DELETE' });

export const listRoles = () => list<Role>('/roles');
export const getRole = (name: string) => request<Role>(`/roles/${seg(name)}`);
export const createRole = (role: { name: string; description: string; permissions: Permissions }) =>
  request<Role>('/roles', { method: 'POST', json: role });
export const updateRole = (name: string, role: { description: string; permissions: Permissions }) =>
  request<Role>(`/roles/${seg(name)}`, { method: 'PUT', json: role });
export const deleteRole = (name: string) => request<void>(`/roles/${seg(name)}`, { method: 'DELETE' });

// API tokens.

export const listTokens = () => list<ApiToken>('/tokens');
export const createToken = (name: string, role: string, expiresAt: string) =>
  request<ApiToken>('/tokens', { method: 'POST', json: { name, role, expires_at: expiresAt } });
export const revokeToken = (id: string) => request<void>(`/tokens/${seg(id)}`, { method: 'DELETE' });

// Workspaces (instance admins).

export const listWorkspaces = () => list<Workspace>('/workspaces');
export const createWorkspace = (workspace: { id: string; name: string; admin: { email: string; password: string; display_name: string } }) =>
  request<Workspace>('/workspaces', { method: 'POST', json: workspace });
export const deleteWorkspace = (id: string) => request<void>(`/workspaces/${seg(id)}`, { method: 'DELETE' });

// The audit trail and record history.

export interface AuditFilter {
  subject_kind?: string;
  subject_type?: string;
  subject_id?: string;
  actor_id?: string;
  action?: string;
  since?: string;
  until?: string;
  $top?: number;
  cursor?: string;
}

export const listAudit = (filter: AuditFilter) => request<AuditPage>('/audit', { query: filter as Query });

export const recordHistory = (type: string, id: string, cursor?: string) =>
  request<AuditPage>(`/records/${seg(type)}/${seg(id)}/history`, { query: { $top: 50, cursor } });

export const assignRecord = (type: string, id: string, ownedBy: string | null, owningTeam: string | null) =>
  request<RecordData>(`/records/${seg(type)}/${seg(id)}/assign`, {
    method: 'POST',
    json: { owned_by: ownedBy, owning_team: owningTeam },
  });
