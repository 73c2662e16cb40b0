import { useEffect } from 'react';

/**
 * Puts the focus on the field an error is about, so a screen reader reads the field and the
 * message it describes. Without JavaScript the server-rendered `autoFocus` does it; after a
 * submit through the router the field is already mounted and `autoFocus` does nothing.
 */
export function useFocusOnError(fieldId: string | undefined, error: unknown): void {
  useEffect(() => {
    if (fieldId && error) document.getElementById(fieldId)?.focus();
  }, [fieldId, error]);
}
