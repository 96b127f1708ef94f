// The rjsf validator for draft 2020-12, the default draft of entity types, with formats. rjsf's
// Ajv validator does the error handling; the validation itself runs without generating code
// (evalFree.ts), because the host's Content-Security-Policy forbids eval in the UI.
import type { RJSFSchema, ValidatorType } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import { validate } from './evalFree';

const base = customizeValidator();

base.rawValidation = <Result,>(schema: RJSFSchema, formData?: unknown) => {
  try {
    return { errors: validate(schema, formData ?? {}) as Result[], validationError: undefined };
  } catch (error) {
    return { errors: undefined, validationError: error as Error };
  }
};

base.isValid = (schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema) => {
  try {
    return validate(schema, formData, rootSchema).length === 0;
  } catch {
    return false;
  }
};

export const validator: ValidatorType = base;
