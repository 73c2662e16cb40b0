import { isSiloError } from '@silo/fleet';
import { readForm } from '@silo/web';
import type { RouterContextProvider } from 'react-router';
import { SMALL_FORM_MAX_BYTES, adminContext, type AdminSession } from './auth.server';

/** The signed-in admin; the layout middleware guarantees it below `signed-in`. */
export function currentAdmin(context: Readonly<RouterContextProvider>): AdminSession {
  return context.get(adminContext);
}

/** A small form body (not an upload: those are read by `withUpload`, upload.server.ts). */
export function smallForm(request: Request): Promise<FormData> {
  return readForm(request, SMALL_FORM_MAX_BYTES);
}

export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/** What to show for an error: SiloError messages are written for operators; anything else is a bug. */
export function describeError(error: unknown): { code: string; message: string } {
  if (isSiloError(error)) return { code: error.code, message: error.message };
  console.error(error);
  return { code: 'INTERNAL', message: 'Unexpected error; see the server log.' };
}

export function notFound(message: string): Response {
  return new Response(message, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
