// React Query hooks and cache keys for what several screens read.
import { useQuery } from '@tanstack/react-query';
import { getEntityType, getPackage, listEntityTypes, listPackages, listMembers, listRoles, listTeams, listUsers } from './endpoints';
import { isApiStatus } from './problem';

export const keys = {
  entityTypes: ['entity-types'] as const,
  entityType: (name: string) => ['entity-types', name] as const,
  records: (type: string) => ['records', type] as const,
  record: (type: string, id: string) => ['records', type, id] as const,
  packages: ['packages'] as const,
  package: (name: string) => ['packages', name] as const,
  reports: ['reports'] as const,
  users: ['admin', 'users'] as const,
  // Under `users`, so that every change to users refreshes the directory too.
  members: ['admin', 'users', 'members'] as const,
  teams: ['admin', 'teams'] as const,
  roles: ['admin', 'roles'] as const,
  tokens: ['admin', 'tokens'] as const,
  workspaces: ['admin', 'workspaces'] as const,
  audit: ['admin', 'audit'] as const,
  history: (type: string, id: string) => ['records', type, id, 'history'] as const,
};

export function useUsers(enabled = true) {
  return useQuery({ queryKey: keys.users, queryFn: listUsers, enabled });
}

/** The member directory: every signed-in member may read it. */
export function useMembers() {
  return useQuery({ queryKey: keys.members, queryFn: listMembers });
}

export function useTeams(enabled = true) {
  return useQuery({ queryKey: keys.teams, queryFn: listTeams, enabled });
}

export function useRoles(enabled = true) {
  return useQuery({ queryKey: keys.roles, queryFn: listRoles, enabled });
}

export function useEntityTypes() {
  return useQuery({
    queryKey: keys.entityTypes,
    queryFn: async () => (await listEntityTypes()).value,
  });
}

export function useEntityType(name: string | undefined) {
  return useQuery({
    queryKey: keys.entityType(name ?? ''),
    queryFn: () => getEntityType(name!),
    enabled: !!name,
  });
}

export function usePackages() {
  return useQuery({
    queryKey: keys.packages,
    queryFn: async () => (await listPackages()).value,
  });
}

export function usePackage(name: string) {
  return useQuery({ queryKey: keys.package(name), queryFn: () => getPackage(name) });
}

/** Retry transient failures, never a client error: a 4xx will answer the same again. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isApiStatus(error, 400, 401, 403, 404, 405, 409, 412, 422)) return false;
  return failureCount < 2;
}
