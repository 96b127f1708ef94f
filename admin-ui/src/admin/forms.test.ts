import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { fieldMessages } from './forms';

describe('fieldMessages', () => {
  it('keys problems by path and joins several of one field', () => {
    const error = new ApiError({
      status: 422,
      code: 'invalid_user',
      detail: 'the user is not valid',
      errors: [
        { path: '/email', keyword: 'format', message: 'not an e-mail address' },
        { path: 'password', keyword: 'minLength', message: 'at least 8 characters' },
        { path: '/email', keyword: 'unique', message: 'taken' },
      ],
    });
    expect(fieldMessages(error)).toEqual({ '/email': 'not an e-mail address; taken', '/password': 'at least 8 characters' });
  });

  it('answers nothing for other errors', () => {
    expect(fieldMessages(new Error('x'))).toEqual({});
    expect(fieldMessages(null)).toEqual({});
  });
});
