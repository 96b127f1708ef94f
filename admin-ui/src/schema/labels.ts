// Field labels for generated forms: a property's `title`, else its name said for people.
import type { UiSchema } from '@rjsf/utils';
import type { JsonSchema } from '../api/types';
import { humanize } from './entity';

/** A copy of `uiSchema` with `ui:title` for every property without a `title`, at any depth. */
export function withLabels(schema: JsonSchema, uiSchema: UiSchema = {}): UiSchema {
  const ui: UiSchema = { ...uiSchema };
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const child: UiSchema = withLabels(property, (ui[name] as UiSchema | undefined) ?? {});
    if (!property.title && !child['ui:title']) child['ui:title'] = humanize(name);
    if (property.items?.properties) child.items = withLabels(property.items, (child.items as UiSchema | undefined) ?? {});
    ui[name] = child;
  }
  return ui;
}
