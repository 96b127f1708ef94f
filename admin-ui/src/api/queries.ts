// React Query hooks and cache keys for what several screens read.
import { useQuery } from '@tanstack/react-query';
import { getEntityType, getPackage, listEntityTypes, listPackages } from './endpoints';
import { isApiStatus } from './problem';

export const keys = {
  entityTypes: ['entity-types'] as const,
  entityType: (name: string) => ['entity-types', name] as const,
  records: (type: string) => ['records', type] as const,
  record: (type: string, id: string) => ['records', type, id] as const,
  packages: ['packages'] as const,
  package: (name: string) => ['packages', name] as const,
  reports: ['reports'] as const,
};

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
