import type { InstancesActionResult } from './forms';

/** How much of the import's body has gone; `total` is 0 until the browser knows it. */
export interface UploadProgress {
  readonly sent: number;
  readonly total: number;
}

export type ImportAnswer =
  | { readonly kind: 'imported'; readonly location: string }
  | { readonly kind: 'refused'; readonly result: InstancesActionResult }
  | { readonly kind: 'signed-out' };

/**
 * Sends the import form to `/import` (routes/instances-import.ts) with XMLHttpRequest, the one
 * browser API that reports an upload's progress, and resolves with what the server said. The
 * CSRF token goes as a header, as the console's other scripted requests send it.
 */
export function uploadImport(form: HTMLFormElement, csrf: string, onProgress: (progress: UploadProgress) => void): Promise<ImportAnswer> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/import');
    request.setRequestHeader('X-CSRF-Token', csrf);
    request.responseType = 'json';
    request.upload.onprogress = (event) => onProgress({ sent: event.loaded, total: event.lengthComputable ? event.total : 0 });
    request.onload = () => {
      if (request.status === 401) return resolve({ kind: 'signed-out' });
      const body: unknown = request.response;
      if (request.status === 200 && isObject(body) && typeof body['location'] === 'string') return resolve({ kind: 'imported', location: body['location'] });
      resolve({ kind: 'refused', result: isResult(body) ? body : failure(`The import failed (HTTP ${request.status}). Try again.`) });
    };
    request.onerror = () => resolve({ kind: 'refused', result: failure('The upload was cut off before the server answered. Check the connection and try again.') });
    request.send(new FormData(form));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isResult(value: unknown): value is InstancesActionResult {
  return isObject(value) && value['intent'] === 'import' && typeof value['error'] === 'string' && typeof value['code'] === 'string';
}

function failure(error: string): InstancesActionResult {
  return { intent: 'import', code: 'FAILED', error, values: {} };
}
