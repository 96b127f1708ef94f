import { describe, expect, it } from 'vitest';
import type { ListResponse } from '../api/types';
import { CursorPager } from './cursorPager';

function fakeApi(total: number) {
  const calls: (string | undefined)[] = [];
  const fetchPage = async (cursor: string | undefined, size: number): Promise<ListResponse<number>> => {
    calls.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const value = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    const end = start + value.length;
    return end < total ? { value, next_cursor: String(end), count: total } : { value, count: total };
  };
  return { calls, fetchPage };
}

describe('cursor paging for an offset-asking grid', () => {
  it('follows next_cursor page by page and reports the last row', async () => {
    const api = fakeApi(25);
    const pager = new CursorPager(api.fetchPage, 10);
    expect((await pager.rows(0)).rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await pager.rows(10)).lastRow).toBeUndefined();
    const last = await pager.rows(20);
    expect(last.rows).toEqual([20, 21, 22, 23, 24]);
    expect(last.lastRow).toBe(25);
    expect(api.calls).toEqual([undefined, '10', '20']);
  });

  it('walks through pages the grid skipped', async () => {
    const api = fakeApi(100);
    const pager = new CursorPager(api.fetchPage, 10);
    expect((await pager.rows(30)).rows[0]).toBe(30);
    expect(api.calls).toEqual([undefined, '10', '20', '30']);
  });

  it('gives the count from the first page', async () => {
    const pager = new CursorPager(fakeApi(7).fetchPage, 10);
    expect(await pager.rows(0)).toEqual({ rows: [0, 1, 2, 3, 4, 5, 6], lastRow: 7, count: 7 });
  });
});
