// Re-applying one's edits on top of a record someone else changed meanwhile (after a 412).

export interface Reapplied {
  /** The latest record's data with the user's own changes applied over it. */
  merged: Record<string, unknown>;
  /** Fields both the user and the other writer changed, to different values: the user's value is kept. */
  conflicts: string[];
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A field-by-field three-way merge: `base` is what the form was loaded from, `mine` what the user
 * submitted, `latest` what the server has now. Fields the user did not touch take the latest value.
 */
export function reapply(
  base: Record<string, unknown>,
  mine: Record<string, unknown>,
  latest: Record<string, unknown>,
): Reapplied {
  const merged: Record<string, unknown> = { ...latest };
  const conflicts: string[] = [];
  for (const key of new Set([...Object.keys(base), ...Object.keys(mine)])) {
    if (sameValue(base[key], mine[key])) continue;
    if (!sameValue(base[key], latest[key]) && !sameValue(mine[key], latest[key])) conflicts.push(key);
    if (mine[key] === undefined) delete merged[key];
    else merged[key] = mine[key];
  }
  return { merged, conflicts };
}
