// Keyset paging behind a grid that asks for rows by offset: remembers the cursor at each offset.
import type { ListResponse } from '../api/types';

export type FetchPage<T> = (cursor: string | undefined, size: number) => Promise<ListResponse<T>>;

export interface Page<T> {
  rows: T[];
  /** The total number of rows once known (the last page was read, or `$count` answered). */
  lastRow?: number;
  count?: number;
}

/**
 * The grid asks for rows `start..end`; the API only continues from a cursor. Pages are fetched in
 * order, so the cursor of every page start is known by the time the grid asks for it; if the grid
 * jumps ahead, the pages in between are walked through.
 */
export class CursorPager<T> {
  private readonly cursors = new Map<number, string | null>([[0, null]]);
  private readonly fetchPage: FetchPage<T>;
  private readonly pageSize: number;

  constructor(fetchPage: FetchPage<T>, pageSize: number) {
    this.fetchPage = fetchPage;
    this.pageSize = pageSize;
  }

  async rows(start: number): Promise<Page<T>> {
    let offset = this.knownStartAtOrBefore(start);
    for (;;) {
      const cursor = this.cursors.get(offset);
      if (cursor === undefined) throw new Error(`no cursor for row ${offset}`);
      const response = await this.fetchPage(cursor ?? undefined, this.pageSize);
      const end = offset + response.value.length;
      if (response.next_cursor) this.cursors.set(end, response.next_cursor);
      const lastRow = response.next_cursor ? undefined : end;
      if (offset >= start || lastRow !== undefined) {
        const rows = offset >= start ? response.value : [];
        return { rows, lastRow, count: response.count };
      }
      offset = end;
    }
  }

  private knownStartAtOrBefore(start: number): number {
    let best = 0;
    for (const offset of this.cursors.keys()) if (offset <= start && offset > best) best = offset;
    return best;
  }
}
