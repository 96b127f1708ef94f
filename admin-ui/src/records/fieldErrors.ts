// Problem documents → errors on the form fields they name (rjsf's `extraErrors`).
import type { ErrorSchema } from '@rjsf/utils';
import type { Problem } from '../api/problem';
import type { JsonSchema } from '../api/types';

export interface PlacedErrors {
  /** Errors keyed by the form's field structure, for rjsf's `extraErrors`. */
  fields: ErrorSchema;
  /** Errors that name no field of the form: shown above it. */
  general: string[];
  /** How many errors were placed on a field. */
  placed: number;
}

function pointerSegments(path: string): string[] | null {
  if (!path.startsWith('/')) return null;
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether the pointer names a field the schema describes (objects by property, arrays by index). */
function schemaHasPath(schema: JsonSchema, segments: string[]): boolean {
  let node: JsonSchema | undefined = schema;
  for (const segment of segments) {
    if (!node) return false;
    if (node.properties && segment in node.properties) node = node.properties[segment];
    else if (node.items && /^\d+$/.test(segment)) node = node.items;
    else return false;
  }
  return true;
}

/**
 * Places each of the problem's `errors` on the field its JSON Pointer names. A `required` error
 * at the root (`""` with "'name' is required") goes to that field too.
 */
export function placeProblem(problem: Problem, schema: JsonSchema): PlacedErrors {
  const fields: ErrorSchema = {};
  const general: string[] = [];
  let placed = 0;
  for (const error of problem.errors) {
    let segments = error.path === '' || error.path === '/' ? [] : pointerSegments(error.path);
    if (segments && error.keyword === 'required') {
      const missing = /'([^']+)' is required/.exec(error.message)?.[1];
      if (missing && segments[segments.length - 1] !== missing) segments = [...segments, missing];
    }
    if (!segments || segments.length === 0 || !schemaHasPath(schema, segments)) {
      general.push(error.path && error.path !== '/' ? `${error.path}: ${error.message}` : error.message);
      continue;
    }
    let node = fields as Record<string, unknown>;
    for (const segment of segments) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    const list = (node.__errors as string[] | undefined) ?? [];
    if (!list.includes(error.message)) list.push(error.message);
    node.__errors = list;
    placed += 1;
  }
  return { fields, general, placed };
}
