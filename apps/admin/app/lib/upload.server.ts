import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { RouterContextProvider } from 'react-router';
import { CSRF_FIELD } from '@silo/web';
import { csrfCheckContext, csrfRefused, type CsrfCheck } from './auth.server';

/** A file part stored in a private temp file in the target region's staging folder. */
export interface UploadedFile {
  readonly path: string;
  readonly size: number;
}

export interface Upload {
  /** The text fields, in order (the CSRF field is not among them). */
  readonly form: FormData;
  /** The one file part, or undefined when the form had none. */
  readonly file: UploadedFile | undefined;
}

export interface UploadOptions {
  /** The name of the form's `<input type="file">`; any other file part is refused. */
  readonly fileField: string;
  readonly maxFileBytes: number;
  /** The 413 to answer when the file passes `maxFileBytes`. */
  readonly tooLarge: () => Response;
  /**
   * Where the file part is written, decided from the text fields that came before it (the
   * target's jurisdiction and region): a temp path inside that region's staging folder, never
   * TMPDIR. Throws a Response (400) when those fields are missing or name no valid placement;
   * the file is then refused before a byte is written.
   */
  readonly stagingFile: (fieldsBefore: FormData) => string;
}

/** The text fields before the file part, and the file's name as the browser sent it. */
export interface BeforeFile {
  readonly fields: FormData;
  readonly filename: string;
}

/**
 * Runs `rest` (storing the file, reading the rest of the body, then `work`) or answers without
 * it, decided from what came before the file part: e.g. SubmitOnce, for which a repeat of a
 * post already done (or still running, which it waits for) is answered without `rest`. The
 * file of a post answered without `rest` is read and dropped, never written.
 */
export type UploadGate<T> = (before: BeforeFile, rest: () => Promise<T>) => Promise<T>;

/** Text fields are small (names, regions, the token): a few of them, each bounded. */
const FIELD_MAX_BYTES = 16 * 1024;
const MAX_FIELDS = 20;
/** Room for the text fields and part headers around the file when judging Content-Length. */
const FORM_OVERHEAD_BYTES = MAX_FIELDS * FIELD_MAX_BYTES + 64 * 1024;

/**
 * Reads a multipart form as it arrives, the file part straight into a private temp file (mode
 * 600) in the staging folder of the target region (`stagingFile`, from the fields before the
 * file), runs `work` on it, and removes the file on every path.
 *
 * The body is read once, in order, and never held whole in memory. When the session's CSRF
 * token did not come as a header, the middleware left it to this reader: the `csrf` field
 * must come before the file part (the forms render it first) and is verified before a
 * single byte of the file is written. A file over the limit is refused with 413 as soon as
 * it passes it; the rest of a refused body is dropped by the server
 * (`discardUnreadBodyAfterResponse`).
 *
 * With a `gate`, the file part waits for it before a byte is written (the body is not read
 * meanwhile): the gate runs the rest, storing the file and then `work`, or answers without it
 * and the file is dropped. A body without a file part never meets the gate.
 */
export async function withUpload<T>(
  request: Request,
  context: Readonly<RouterContextProvider>,
  options: UploadOptions,
  work: (upload: Upload) => Promise<T>,
  gate?: UploadGate<T>,
): Promise<T> {
  const csrf = context.get(csrfCheckContext);
  // Only the signed-in middleware decides whether a token still has to be read from the form.
  if (csrf === null) throw csrfRefused();
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > options.maxFileBytes + FORM_OVERHEAD_BYTES) throw options.tooLarge();
  const written: { path?: string } = {};
  try {
    if (!gate) return await work(await receive(request, written, options, csrf, undefined));
    // The gate's answer, once the file part has met it.
    const gated: { answer?: Promise<T> } = {};
    const hold = (before: BeforeFile): Promise<boolean> =>
      new Promise((store) => {
        const answer = gate(before, () => {
          store(true);
          return received.then(work);
        });
        // Answered without the rest: the file is dropped (a no-op once it was stored).
        answer.then(
          () => store(false),
          () => store(false),
        );
        gated.answer = answer;
      });
    const received = receive(request, written, options, csrf, hold);
    try {
      const upload = await received;
      return gated.answer ? await gated.answer : await work(upload);
    } catch (error) {
      // A body refused after the gate ran the rest: the gate has seen it fail too (SubmitOnce forgets the token).
      await gated.answer?.catch(() => undefined);
      throw error;
    }
  } finally {
    if (written.path) await rm(written.path, { force: true });
  }
}

/**
 * Parses the body, the file into `written.path` (unless `hold` says to drop it); throws a
 * Response (400, 403, 413) for a body it refuses.
 */
async function receive(
  request: Request,
  written: { path?: string },
  options: UploadOptions,
  csrf: CsrfCheck,
  hold: ((before: BeforeFile) => Promise<boolean>) | undefined,
): Promise<Upload> {
  if (!request.body) throw badForm('The form is empty.');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': request.headers.get('content-type') ?? '' },
      limits: { fileSize: options.maxFileBytes, files: 1, fields: MAX_FIELDS, fieldSize: FIELD_MAX_BYTES, parts: MAX_FIELDS + 1 },
    });
  } catch {
    throw badForm('The form could not be read (not multipart/form-data with a boundary).');
  }

  const form = new FormData();
  // Written by the parser's event handlers: an object, so the reads below see their writes.
  const state: { verified: boolean; refusal?: Response; stored?: Promise<UploadedFile | undefined>; dropped?: boolean } = { verified: csrf.state === 'verified' };
  /** Keeps the first reason to refuse the body; later ones are consequences of stopping. */
  const refuse = (response: Response): void => {
    state.refusal ??= response;
  };

  parser.on('field', (name, value, info) => {
    if (state.refusal) return;
    if (info.nameTruncated || info.valueTruncated) return refuse(badForm(`The form field "${name}" is too long.`));
    if (name === CSRF_FIELD) {
      if (state.verified) return;
      if (csrf.state !== 'deferred' || !csrf.verify(value)) return refuse(csrfRefused());
      state.verified = true;
      return;
    }
    form.append(name, value);
  });
  parser.on('file', (name, stream, info) => {
    // Destroying the parser after a refusal destroys this stream with an error: never unhandled.
    stream.on('error', () => undefined);
    if (state.refusal) return void stream.resume();
    if (!state.verified) {
      stream.resume();
      return refuse(csrfRefused());
    }
    if (name !== options.fileField) {
      stream.resume();
      return refuse(badForm(`The form has an unexpected file field "${name}".`));
    }
    let target: string;
    try {
      target = options.stagingFile(form);
    } catch (error) {
      stream.resume();
      if (error instanceof Response) return refuse(error);
      throw error;
    }
    stream.once('limit', () => refuse(options.tooLarge()));
    const store = (): Promise<UploadedFile> => {
      written.path = target;
      const out = createWriteStream(target, { flags: 'wx', mode: 0o600 });
      return pipeline(stream, out).then((): UploadedFile => ({ path: target, size: out.bytesWritten }));
    };
    const drop = (): undefined => {
      state.dropped = true;
      stream.resume();
      return undefined;
    };
    // Until the hold is decided the file stream is not read, and so neither is the body.
    const before: BeforeFile = { fields: copyOf(form), filename: info.filename ?? '' };
    const stored = hold ? hold(before).then((keep) => (keep && !state.refusal ? store() : drop())) : store();
    // A failed write (disk full) stops the parser: otherwise it would wait for the file stream forever.
    stored.catch((error: unknown) => {
      if (state.refusal) return; // destroyed by us after a refusal
      refuse(storageFailed(error));
      parser.destroy();
    });
    state.stored = stored;
  });
  const tooMany = (): void => refuse(badForm('The form has more fields or files than expected.'));
  parser.on('filesLimit', tooMany).on('fieldsLimit', tooMany).on('partsLimit', tooMany);
  parser.on('error', () => refuse(badForm('The form could not be read: the upload is incomplete or malformed.')));
  const closed = new Promise<void>((resolve) => parser.once('close', resolve));

  const reader = request.body.getReader();
  try {
    for (;;) {
      const chunk = await reader.read().catch(() => undefined);
      if (chunk === undefined) {
        refuse(badForm('The upload was interrupted.'));
        break;
      }
      if (chunk.done) {
        parser.end();
        break;
      }
      if (!parser.write(chunk.value) && !state.refusal) await drained(parser);
      if (state.refusal) break;
    }
  } finally {
    // Not cancel(): that destroys the socket before the refusal reaches the client.
    reader.releaseLock();
  }
  if (state.refusal) parser.destroy();
  await closed;
  // The file is complete only once its write stream has finished.
  const file = state.stored ? await state.stored.catch(() => undefined) : undefined;
  if (state.refusal) throw state.refusal;
  if (!state.verified) throw csrfRefused();
  if (state.stored && !file && !state.dropped) throw storageFailed(new Error('the file was not stored'));
  return { form, file };
}

function copyOf(form: FormData): FormData {
  const copy = new FormData();
  for (const [name, value] of form) copy.append(name, value);
  return copy;
}

/** Resolves once the parser takes more input, or has stopped (an error, or destroyed). */
function drained(parser: busboy.Busboy): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      parser.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    parser.once('drain', done).once('close', done).once('error', done);
  });
}

export function badForm(message: string): Response {
  return new Response(message, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

function storageFailed(error: unknown): Response {
  console.error(`silo admin: storing an upload failed: ${error instanceof Error ? error.message : String(error)}`);
  return new Response('The upload could not be stored on the server; see the server log.', {
    status: 500,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}
