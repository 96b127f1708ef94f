// State remembered in localStorage under a key (e.g. a list's chosen columns per type).
import { useCallback, useEffect, useState } from 'react';

export function useStoredState<T>(key: string, initial: () => T): [T, (value: T) => void, () => void] {
  const read = useCallback((): T => {
    try {
      const stored = localStorage.getItem(key);
      return stored === null ? initial() : (JSON.parse(stored) as T);
    } catch {
      return initial();
    }
  }, [key, initial]);
  const [value, setValue] = useState<T>(read);
  useEffect(() => setValue(read()), [read]);
  const store = useCallback(
    (next: T) => {
      setValue(next);
      localStorage.setItem(key, JSON.stringify(next));
    },
    [key],
  );
  const reset = useCallback(() => {
    localStorage.removeItem(key);
    setValue(initial());
  }, [key, initial]);
  return [value, store, reset];
}
