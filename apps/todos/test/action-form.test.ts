/**
 * A signed-in form is read once, before its request takes a turn of its list (viewerMiddleware
 * calls receiveForm), and the action takes that form: pure code, no server.
 */
import { RouterContextProvider } from 'react-router';
import { describe, expect, it } from 'vitest';
import { actionForm, receiveForm } from '../app/action-form.server';
import { MAX_FORM_BYTES } from '../app/config.server';

function formPost(body: BodyInit, type = 'application/x-www-form-urlencoded'): Request {
  return new Request('http://127.0.0.1/t/list?index', { method: 'POST', body, headers: { 'content-type': type }, duplex: 'half' } as RequestInit);
}

describe('a form read before its action', () => {
  it('is read from the body once: the action takes the same form, the body is not read again', async () => {
    const request = formPost('intent=add&title=buy+milk');
    const context = new RouterContextProvider();
    await receiveForm(context, request);
    expect(request.bodyUsed).toBe(true);
    const form = await actionForm(context, request);
    expect(form.get('title')).toBe('buy milk');
    // A second read of the request would throw (its body is used): the action never makes one.
    await expect(request.text()).rejects.toThrow();
    expect(await actionForm(context, request)).toBe(form);
  });

  it('keeps a refusal for the action, which answers it as if it had read the form (413 past the limit, 400 not UTF-8)', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent <= MAX_FORM_BYTES; sent += 4_000) controller.enqueue(new TextEncoder().encode('x'.repeat(4_000)));
        controller.close();
      },
    });
    for (const [request, status] of [
      [formPost(chunks), 413],
      [formPost(new Uint8Array([0x74, 0x3d, 0xff])), 400],
      [formPost('not a multipart body', 'multipart/form-data; boundary=abcdefghijklmnopqrstuvwxyz0123'), 400],
    ] as const) {
      const context = new RouterContextProvider();
      await expect(receiveForm(context, request)).resolves.toBeUndefined();
      await expect(actionForm(context, request)).rejects.toMatchObject({ status });
    }
  });

  it('is not read ahead for a GET, and an action whose form was not read ahead reads it itself', async () => {
    const context = new RouterContextProvider();
    const page = new Request('http://127.0.0.1/t/list');
    await receiveForm(context, page);
    expect([...(await actionForm(context, page))]).toEqual([]);
    const anonymous = formPost('email=a%40b.test');
    expect((await actionForm(new RouterContextProvider(), anonymous)).get('email')).toBe('a@b.test');
  });
});
