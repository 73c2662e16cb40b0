import { useEffect, useState } from 'react';

/**
 * The last non-empty value of `current` while `scope` stays the same. An action's result is
 * cleared by the next revalidation (the live pages revalidate every few seconds); a message
 * and the form it belongs to must not vanish, nor lose what was typed, while someone reads it.
 */
export function useSticky<T>(current: T | undefined, scope: string): T | undefined {
  const [kept, setKept] = useState<{ scope: string; value: T }>();
  useEffect(() => {
    if (current !== undefined) setKept({ scope, value: current });
  }, [current, scope]);
  return current ?? (kept?.scope === scope ? kept.value : undefined);
}
