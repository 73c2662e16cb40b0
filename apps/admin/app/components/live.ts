import { useEffect } from 'react';
import { useNavigation, useRevalidator } from 'react-router';

/** Reloads the route's data every `ms` while the tab is visible and nothing else is loading. */
export function useLiveRevalidate(ms = 5_000): void {
  const { revalidate, state } = useRevalidator();
  const navigation = useNavigation();
  const busy = state !== 'idle' || navigation.state !== 'idle';
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible' && !busy) void revalidate();
    }, ms);
    return () => window.clearInterval(timer);
  }, [ms, busy, revalidate]);
}
