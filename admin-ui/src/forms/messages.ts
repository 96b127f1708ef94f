// Form validation messages for people rather than for schema authors.
import type { RJSFValidationError } from '@rjsf/utils';

/** Ajv's messages, said the way a form says them ("must have required property 'name'" → "Required"). */
export function friendlyErrors(errors: RJSFValidationError[]): RJSFValidationError[] {
  return errors.map((error) => {
    switch (error.name) {
      case 'required':
        return { ...error, message: 'Required' };
      case 'format':
        return { ...error, message: `Must be a valid ${String(error.params?.format ?? 'value')}` };
      case 'pattern':
        return { ...error, message: `Must match the pattern ${String(error.params?.pattern ?? '')}` };
      default:
        return { ...error, message: error.message ? error.message.charAt(0).toUpperCase() + error.message.slice(1) : error.message };
    }
  });
}
