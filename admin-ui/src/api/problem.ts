// RFC 9457 problem documents, as every xrm error arrives, and the error the client throws.

export interface FieldProblem {
  path: string;
  keyword: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail: string;
  errors: FieldProblem[];
  request_id?: string;
  [extension: string]: unknown;
}

/** A failed API call: the server's problem document, or one made up for a network failure. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title || `request failed with status ${problem.status}`);
    this.name = 'ApiError';
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** Whether `error` is an API error with one of the given statuses (e.g. a missing endpoint). */
export function isApiStatus(error: unknown, ...statuses: number[]): error is ApiError {
  return error instanceof ApiError && statuses.includes(error.status);
}

/** Turns any response body into a problem document, whatever the server or proxy sent. */
export function toProblem(status: number, statusText: string, body: unknown): Problem {
  if (body && typeof body === 'object' && 'code' in body && 'status' in body) {
    const problem = body as Problem;
    return { ...problem, errors: Array.isArray(problem.errors) ? problem.errors : [] };
  }
  return {
    status,
    code: status === 0 ? 'network_error' : 'http_error',
    title: statusText,
    detail: status === 0 ? 'the server could not be reached' : `the server answered ${status} ${statusText}`.trim(),
    errors: [],
  };
}

/** A one-line message for people, from any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
