// A record's fields for reading: labels and values by field type, lookups as links, nested objects.
import type { EntityType, JsonSchema, RecordData } from '../api/types';
import { annotations, fieldLabel, formatValue } from '../schema/entity';
import { LookupLink } from './LookupLink';

function ScalarValue({ value, property }: { value: unknown; property: JsonSchema }) {
  if (value === undefined || value === null || value === '') return <span className="muted">—</span>;
  if (Array.isArray(property.enum)) return <span className="badge">{String(value)}</span>;
  if (property.format === 'uri' && typeof value === 'string') {
    return (
      <a href={value} target="_blank" rel="noreferrer">
        {value}
      </a>
    );
  }
  if (property.format === 'email' && typeof value === 'string') return <a href={`mailto:${value}`}>{value}</a>;
  return <>{formatValue(value, property.format === 'date-time' ? 'date-time' : undefined)}</>;
}

function Value({ value, property }: { value: unknown; property: JsonSchema }) {
  if (property.type === 'object' && property.properties && value && typeof value === 'object') {
    return <Fields values={value as Record<string, unknown>} properties={property.properties} />;
  }
  if (property.type === 'array' && Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">—</span>;
    const items = property.items ?? {};
    if (items.type === 'object' && items.properties) {
      const columns = Object.entries(items.properties);
      // Rows of scalars read best as a table; anything deeper keeps the nested field lists.
      if (columns.every(([, property]) => property.type !== 'object' && property.type !== 'array')) {
        return (
          <div className="table-scroll">
            <table className="table nested-table">
              <thead>
                <tr>
                  {columns.map(([name, property]) => (
                    <th scope="col" key={name}>
                      {fieldLabel(name, property)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {value.map((item, index) => (
                  <tr key={index}>
                    {columns.map(([name, property]) => (
                      <td key={name}>
                        <ScalarValue value={(item as Record<string, unknown>)?.[name]} property={property} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      }
      return (
        <ol className="nested-list">
          {value.map((item, index) => (
            <li key={index}>
              <Fields values={item as Record<string, unknown>} properties={items.properties!} />
            </li>
          ))}
        </ol>
      );
    }
    return (
      <span className="chips">
        {value.map((item, index) => (
          <span className="badge" key={index}>
            {String(item)}
          </span>
        ))}
      </span>
    );
  }
  return <ScalarValue value={value} property={property} />;
}

function Fields({ values, properties }: { values: Record<string, unknown>; properties: Record<string, JsonSchema> }) {
  return (
    <dl className="fields">
      {Object.entries(properties).map(([name, property]) => (
        <div key={name} className="field">
          <dt>{fieldLabel(name, property)}</dt>
          <dd>
            <Value value={values[name]} property={property} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function FieldValues({ type, record, types }: { type: EntityType; record: RecordData; types: EntityType[] }) {
  const lookups = annotations(type.schema).lookups ?? {};
  const properties = type.schema.properties ?? {};
  return (
    <dl className="fields">
      {Object.entries(properties).map(([name, property]) => {
        const lookup = lookups[name];
        const value = record[name];
        let content;
        if (lookup && typeof value === 'string') {
          const targetType = types.find((t) => t.name === lookup.target);
          content = <LookupLink targetType={targetType} target={lookup.target} id={value} expanded={record._expand?.[name]} />;
        } else {
          content = <Value value={value} property={property} />;
        }
        return (
          <div key={name} className={property.type === 'object' || property.type === 'array' ? 'field wide' : 'field'}>
            <dt>{fieldLabel(name, property)}</dt>
            <dd>{content}</dd>
          </div>
        );
      })}
    </dl>
  );
}
