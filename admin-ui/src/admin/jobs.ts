// Plugin deliveries as the dead-letter screen shows them: what each is about and what may be done.
import type { PluginJob } from '../api/types';

export interface JobSubject {
  /** A line for people: "complaint 0194… created" or "schedule escalate-overdue". */
  label: string;
  /** The record the delivery is about, for a link. */
  record?: { type: string; id: string };
}

const OPERATIONS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' };

/** What a delivery carries: a record event (`entity_type`, `operation`, `id`) or a schedule firing. */
export function jobSubject(job: Pick<PluginJob, 'hook' | 'event'>): JobSubject {
  const event = job.event && typeof job.event === 'object' ? (job.event as Record<string, unknown>) : {};
  if (typeof event.entity_type === 'string' && typeof event.id === 'string') {
    const operation = typeof event.operation === 'string' ? event.operation.toLowerCase() : '';
    const done = OPERATIONS[operation] ?? operation;
    return {
      label: `${event.entity_type} ${event.id}${done ? ` ${done}` : ''}`,
      record: operation === 'delete' ? undefined : { type: event.entity_type, id: event.id },
    };
  }
  if (job.hook === 'schedule' && typeof event.name === 'string') {
    return { label: `schedule ${event.name}${typeof event.fired_at === 'string' ? ` fired ${event.fired_at}` : ''}` };
  }
  return { label: job.hook };
}

/** Only a dead delivery can be sent back; a pending one is still being tried. */
export function canRetry(job: Pick<PluginJob, 'status'>): boolean {
  return job.status === 'dead';
}

/** The status filter of the screen, as the URL and the API spell it. */
export type JobStatusFilter = 'dead' | 'pending' | 'all';

export function parseStatusFilter(value: string | null): JobStatusFilter {
  return value === 'pending' || value === 'all' ? value : 'dead';
}

/** The API's query for a filter: `all` sends no status. */
export function jobQuery(status: JobStatusFilter, pkg: string): { status?: 'pending' | 'dead'; package?: string; $top: number } {
  return { status: status === 'all' ? undefined : status, package: pkg.trim() || undefined, $top: 200 };
}
