import { describe, expect, it } from 'vitest';
import { reapply } from './reapply';

describe('re-applying edits after a 412', () => {
  it('keeps the other writer’s changes to untouched fields and applies mine', () => {
    const base = { name: 'A', city: 'Oslo', tier: 'gold', note: 'x' };
    const mine = { name: 'A2', city: 'Oslo', tier: 'gold' };
    const latest = { name: 'A', city: 'Bergen', tier: 'gold', note: 'x', extra: 1 };
    expect(reapply(base, mine, latest)).toEqual({ merged: { name: 'A2', city: 'Bergen', tier: 'gold', extra: 1 }, conflicts: [] });
  });

  it('names fields both changed differently, keeping mine', () => {
    const result = reapply({ tier: 'gold' }, { tier: 'silver' }, { tier: 'bronze' });
    expect(result).toEqual({ merged: { tier: 'silver' }, conflicts: ['tier'] });
  });

  it('is no conflict when both made the same change', () => {
    expect(reapply({ tier: 'gold' }, { tier: 'silver' }, { tier: 'silver' }).conflicts).toEqual([]);
  });
});
