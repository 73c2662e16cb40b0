import { useEffect, useMemo, useRef, type RefObject } from 'react';
import { documentNonce } from './csp-nonce';

export interface SqlEditorProps {
  /** The textarea's name: the form submits it, with or without JavaScript. */
  name: string;
  label: string;
  defaultValue: string;
  /** Table → columns, for completion. */
  schema?: Readonly<Record<string, readonly string[]>>;
  /** Ctrl/Cmd+Enter. */
  onRun?: () => void;
  className?: string;
}

/**
 * A plain textarea that CodeMirror 6 enhances once the page is interactive (loaded lazily, so
 * the server never renders it). The textarea stays the form field: the editor writes into it.
 */
export function SqlEditor({ name, label, defaultValue, schema, onRun, className }: SqlEditorProps) {
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const onRunRef = useRef(onRun);
  onRunRef.current = onRun;
  const schemaKey = JSON.stringify(schema ?? {});

  useEffect(() => {
    const textarea = textareaRef.current;
    const host = hostRef.current;
    if (!textarea || !host) return;
    let destroyed = false;
    let destroy: (() => void) | undefined;
    void Promise.all([
      import('codemirror'),
      import('@codemirror/lang-sql'),
      import('@codemirror/view'),
      import('@codemirror/state'),
      import('@codemirror/language'),
      import('@lezer/highlight'),
    ]).then(
      ([{ basicSetup, EditorView }, { sql, SQLite }, { keymap }, { Prec }, { HighlightStyle, syntaxHighlighting }, { tags }]) => {
        if (destroyed) return;
        const view = new EditorView({
          doc: textarea.value,
          parent: host,
          extensions: [
            Prec.highest(
              keymap.of([
                {
                  key: 'Mod-Enter',
                  run: () => {
                    onRunRef.current?.();
                    return true;
                  },
                },
              ]),
            ),
            basicSetup,
            // Token colours from app.css variables, so they keep 4.5:1 contrast in light and dark
            // mode (CodeMirror's default style is made for a light background only).
            syntaxHighlighting(
              HighlightStyle.define([
                { tag: [tags.keyword, tags.operatorKeyword, tags.modifier], color: 'var(--cm-keyword)', fontWeight: '600' },
                { tag: [tags.string, tags.special(tags.string)], color: 'var(--cm-string)' },
                { tag: [tags.number, tags.bool, tags.null], color: 'var(--cm-number)' },
                { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--cm-comment)', fontStyle: 'italic' },
                { tag: [tags.typeName, tags.standard(tags.name), tags.function(tags.variableName)], color: 'var(--cm-type)' },
                { tag: [tags.special(tags.name), tags.propertyName, tags.variableName, tags.name], color: 'var(--fg)' },
                { tag: [tags.punctuation, tags.operator, tags.bracket], color: 'var(--fg)' },
              ]),
            ),
            sql({ dialect: SQLite, schema: JSON.parse(schemaKey) as Record<string, string[]>, upperCaseKeywords: true }),
            EditorView.lineWrapping,
            // The editor's themes are <style> elements: the CSP allows them with this nonce.
            EditorView.cspNonce.of(documentNonce()),
            EditorView.contentAttributes.of({ 'aria-label': label }),
            EditorView.updateListener.of((update) => {
              if (update.docChanged) textarea.value = update.state.doc.toString();
            }),
          ],
        });
        textarea.hidden = true;
        host.hidden = false;
        // Code outside the editor (history "load") sets the textarea and asks the editor to follow.
        const sync = (): void => {
          if (textarea.value !== view.state.doc.toString()) {
            view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: textarea.value } });
          }
        };
        textarea.addEventListener('silo:sync', sync);
        destroy = () => {
          textarea.removeEventListener('silo:sync', sync);
          view.destroy();
          textarea.hidden = false;
          host.hidden = true;
        };
      },
    );
    return () => {
      destroyed = true;
      destroy?.();
    };
  }, [label, schemaKey]);

  return (
    <div className={className}>
      <textarea ref={textareaRef} name={name} aria-label={label} className="editor-fallback" defaultValue={defaultValue} spellCheck={false} rows={8} />
      <div ref={hostRef} className="editor" hidden data-testid="sql-editor" />
    </div>
  );
}

/** Puts text into a SqlEditor's textarea and lets the editor follow. */
export function setEditorText(form: HTMLFormElement | null, name: string, text: string): void {
  const textarea = form?.elements.namedItem(name);
  if (textarea instanceof HTMLTextAreaElement) {
    textarea.value = text;
    textarea.dispatchEvent(new Event('silo:sync'));
  }
}

const DRAFT_PREFIX = 'silo-admin:sql-draft:';

function draftStore(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: no drafts
  }
}

/**
 * The editor's text, kept in this tab's sessionStorage from a run until its answer: when the
 * session ends mid-run (the page goes to sign-in and comes back), the editor gets it back
 * instead of the page's starting query. `key` names the editor (the console's instance, the
 * fleet query).
 */
export function useSqlDraft(key: string, formRef: RefObject<HTMLFormElement | null>, name = 'sql'): { save: () => void; clear: () => void } {
  const storageKey = DRAFT_PREFIX + key;
  useEffect(() => {
    const draft = draftStore()?.getItem(storageKey);
    if (draft) setEditorText(formRef.current, name, draft);
  }, [storageKey, formRef, name]);
  return useMemo(
    () => ({
      save: () => {
        const textarea = formRef.current?.elements.namedItem(name);
        if (textarea instanceof HTMLTextAreaElement) draftStore()?.setItem(storageKey, textarea.value);
      },
      clear: () => draftStore()?.removeItem(storageKey),
    }),
    [storageKey, formRef, name],
  );
}
