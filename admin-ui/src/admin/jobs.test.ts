import { describe, expect, it } from 'vitest';
import { canRetry, jobQuery, jobSubject, parseStatusFilter } from './jobs';

describe('jobSubject', () => {
  it('names the record of an after-change delivery and links it', () => {
    const subject = jobSubject({ hook: 'after-create', event: { entity_type: 'watched', operation: 'create', id: 'abc' } });
    expect(subject).toEqual({ label: 'watched abc created', record: { type: 'watched', id: 'abc' } });
  });

  it('does not link a deleted record', () => {
    const subject = jobSubject({ hook: 'after-delete', event: { entity_type: 'watched', operation: 'delete', id: 'abc' } });
    expect(subject.label).toBe('watched abc deleted');
    expect(subject.record).toBeUndefined();
  });

  it('names a schedule firing', () => {
    expect(jobSubject({ hook: 'schedule', event: { name: 'tick', fired_at: '2030-01-01T00:00:00Z' } }).label).toBe(
      'schedule tick fired 2030-01-01T00:00:00Z',
    );
  });

  it('falls back to the hook for anything else', () => {
    expect(jobSubject({ hook: 'after-update', event: null }).label).toBe('after-update');
  });
});

describe('filters', () => {
  it('retries only dead deliveries', () => {
    expect(canRetry({ status: 'dead' })).toBe(true);
    expect(canRetry({ status: 'pending' })).toBe(false);
  });

  it('reads the status filter with dead letters as the default', () => {
    expect(parseStatusFilter(null)).toBe('dead');
    expect(parseStatusFilter('pending')).toBe('pending');
    expect(parseStatusFilter('all')).toBe('all');
    expect(parseStatusFilter('bogus')).toBe('dead');
  });

  it('sends no status for all and no empty package', () => {
    expect(jobQuery('all', ' ')).toEqual({ status: undefined, package: undefined, $top: 200 });
    expect(jobQuery('dead', 'recorder')).toEqual({ status: 'dead', package: 'recorder', $top: 200 });
  });
});
