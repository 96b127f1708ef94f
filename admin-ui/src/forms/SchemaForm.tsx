// The one rjsf form setup of the UI: the 2020-12 validator, the lookup widget, errors on fields.
import Form from '@rjsf/core';
import type { ErrorSchema, RJSFSchema, UiSchema } from '@rjsf/utils';
import { useMemo, type ReactNode } from 'react';
import type { JsonSchema } from '../api/types';
import { withLabels } from '../schema/labels';
import { validator } from '../schema/validator';
import { LookupWidget } from './LookupWidget';
import { friendlyErrors } from './messages';

const widgets = { lookup: LookupWidget };

// Errors are shown on their fields; without a handler rjsf would also log them to the console.
const ignoreErrors = () => undefined;

interface Props<T> {
  id: string;
  schema: JsonSchema;
  uiSchema?: UiSchema;
  formData: T;
  extraErrors?: ErrorSchema;
  disabled?: boolean;
  onChange: (data: T) => void;
  onSubmit: (data: T) => void;
  children: ReactNode;
}

export function SchemaForm<T>({ id, schema, uiSchema, formData, extraErrors, disabled, onChange, onSubmit, children }: Props<T>) {
  const labelled = useMemo(() => withLabels(schema, uiSchema), [schema, uiSchema]);
  return (
    <Form<T>
      id={id}
      className="schema-form"
      schema={schema as RJSFSchema}
      uiSchema={labelled}
      formData={formData}
      validator={validator}
      widgets={widgets}
      extraErrors={extraErrors}
      disabled={disabled}
      showErrorList={false}
      noHtml5Validate
      focusOnFirstError
      transformErrors={friendlyErrors}
      onError={ignoreErrors}
      experimental_defaultFormStateBehavior={{ emptyObjectFields: 'skipEmptyDefaults' }}
      onChange={(event) => onChange(event.formData as T)}
      onSubmit={(event) => onSubmit(event.formData as T)}
    >
      {children}
    </Form>
  );
}
