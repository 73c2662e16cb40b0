import { useRouteLoaderData } from 'react-router';

export interface ShellData {
  email: string;
  csrf: string;
}

/** The signed-in layout's data: the admin's email and this session's CSRF token. */
export function useShell(): ShellData {
  const data = useRouteLoaderData<ShellData>('routes/signed-in');
  if (!data) throw new Error('useShell() used outside the signed-in layout');
  return data;
}

/** The hidden CSRF field every mutating form carries. */
export function CsrfField() {
  const { csrf } = useShell();
  return <input type="hidden" name="csrf" value={csrf} />;
}
