// A link to the record a lookup points at, named by the target's title field.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { getRecord } from '../api/endpoints';
import { keys } from '../api/queries';
import type { EntityType, RecordData } from '../api/types';
import { recordTitle } from '../schema/entity';

interface Props {
  targetType: EntityType | undefined;
  target: string;
  id: string;
  /** The target as `$expand` returned it, when it did; otherwise it is read here. */
  expanded?: RecordData | null;
}

export function LookupLink({ targetType, target, id, expanded }: Props) {
  const record = useQuery({
    queryKey: keys.record(target, id),
    queryFn: () => getRecord(target, id),
    enabled: !expanded,
    retry: false,
  });
  const data = expanded ?? record.data;
  return <Link to={`/records/${target}/${id}`}>{data ? recordTitle(targetType, data) : record.isError ? `${id} (not found)` : id}</Link>;
}
