// Every API call the UI makes, one function per endpoint of docs/api.md.
import { etag, request, type Query } from './client';
import type {
  EntityType,
  JsonSchema,
  ListResponse,
  Package,
  PackageSchedule,
  PluginFailure,
  PluginJob,
  PluginSettings,
  PluginStat,
  RecordData,
  ReportInfo,
  ReportResult,
  TrustedPublisher,
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

export const installPackage = (archive: Blob) =>
  request<Package>('/packages', { method: 'POST', body: archive, headers: { 'Content-Type': 'application/x-tar' } });

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
