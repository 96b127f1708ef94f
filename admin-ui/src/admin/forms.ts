// Problems of an admin form, by field: the API's `errors` keyed by their JSON Pointer path.
import { ApiError } from '../api/problem';

/** `{"/email": "…", "": "…"}` from a 422's `errors`; several problems of one field are joined. */
export function fieldMessages(error: unknown): Record<string, string> {
  const messages: Record<string, string> = {};
  if (!(error instanceof ApiError)) return messages;
  for (const problem of error.problem.errors) {
    const path = problem.path.startsWith('/') || problem.path === '' ? problem.path : `/${problem.path}`;
    messages[path] = messages[path] ? `${messages[path]}; ${problem.message}` : problem.message;
  }
  return messages;
}
