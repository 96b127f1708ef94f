import { describe, expect, it } from 'vitest';
import type { Problem } from '../api/problem';
import type { JsonSchema } from '../api/types';
import { placeProblem } from './fieldErrors';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string' },
    billing_address: { type: 'object', properties: { city: { type: 'string' } } },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
  },
};

const problem = (errors: Problem['errors']): Problem => ({ status: 422, code: 'validation_failed', detail: 'invalid', errors });

describe('problem+json → form field errors', () => {
  it('places errors on the fields their pointers name, nested and in arrays', () => {
    const placed = placeProblem(
      problem([
        { path: '/email', keyword: 'format', message: '"bad" is not a "email"' },
        { path: '/billing_address/city', keyword: 'maxLength', message: 'too long' },
        { path: '/lines/1/qty', keyword: 'minimum', message: 'below 1' },
      ]),
      schema,
    );
    expect(placed.fields).toEqual({
      email: { __errors: ['"bad" is not a "email"'] },
      billing_address: { city: { __errors: ['too long'] } },
      lines: { 1: { qty: { __errors: ['below 1'] } } },
    });
    expect(placed.general).toEqual([]);
    expect(placed.placed).toBe(3);
  });

  it('puts a required error on the missing field, at the root or nested', () => {
    const placed = placeProblem(
      problem([
        { path: '', keyword: 'required', message: "'name' is required" },
        { path: '/name', keyword: 'required', message: "'name' is required" },
      ]),
      schema,
    );
    expect(placed.fields).toEqual({ name: { __errors: ["'name' is required"] } });
  });

  it('keeps errors that name no field of the form as general errors', () => {
    const placed = placeProblem(problem([{ path: '/nope', keyword: 'x', message: 'unknown' }, { path: '', keyword: 'x', message: 'whole' }]), schema);
    expect(placed.general).toEqual(['/nope: unknown', 'whole']);
    expect(placed.placed).toBe(0);
  });
});
