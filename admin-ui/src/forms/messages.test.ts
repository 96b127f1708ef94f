import { describe, expect, it } from 'vitest';
import { friendlyErrors } from './messages';

describe('form validation messages', () => {
  it('says required and format errors plainly', () => {
    const [required, format, other] = friendlyErrors([
      { name: 'required', message: "must have required property 'name'", property: '.name', stack: '' },
      { name: 'format', message: 'must match format "email"', params: { format: 'email' }, property: '.email', stack: '' },
      { name: 'minimum', message: 'must be >= 0', property: '.fine', stack: '' },
    ]);
    expect(required.message).toBe('Required');
    expect(format.message).toBe('Must be a valid email');
    expect(other.message).toBe('Must be >= 0');
  });
});
