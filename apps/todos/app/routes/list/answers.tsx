import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useFetcher } from 'react-router';

/** What the list's action answers a script's submission (route.tsx). */
export interface ListAnswer {
  error: string | null;
  addedId?: number | null;
}

const WatchContext = createContext<(fetcherKey: string) => void>(() => undefined);
const MessageContext = createContext<string | null>(null);

/**
 * The answers to the list's row and footer submissions (toggle, edit, delete, toggle all, clear
 * completed). They are optimistic and nobody waits for them, so a refusal (the page was out of
 * date, the disk is full) would only show as the change undone: the list says why instead.
 * The new-todo field watches its own adds (new-todo.tsx), to put their text back.
 */
export function ListAnswers({ children }: { children: ReactNode }) {
  const [keys, setKeys] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const watch = useCallback((fetcherKey: string) => setKeys((current) => [...current, fetcherKey]), []);
  const answered = useCallback((fetcherKey: string, answer: ListAnswer) => {
    setKeys((current) => current.filter((key) => key !== fetcherKey));
    // A later success clears the message: the list works again.
    setMessage(answer.error);
  }, []);
  return (
    <WatchContext.Provider value={watch}>
      <MessageContext.Provider value={message}>
        {children}
        {keys.map((key) => (
          <AnswerWatcher key={key} fetcherKey={key} onAnswer={answered} />
        ))}
      </MessageContext.Provider>
    </WatchContext.Provider>
  );
}

/** Hands a submission's fetcher key to the list's watcher (useTodoSubmit). */
export function useWatchAnswer(): (fetcherKey: string) => void {
  return useContext(WatchContext);
}

/** The last refused row or footer submission's message, where the list shows it. */
export function ListAnswerMessage() {
  const message = useContext(MessageContext);
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}

/** Watches one submission's fetcher and reports its answer once. */
export function AnswerWatcher({ fetcherKey, onAnswer }: { fetcherKey: string; onAnswer: (fetcherKey: string, answer: ListAnswer) => void }) {
  const fetcher = useFetcher<ListAnswer>({ key: fetcherKey });
  const reported = useRef(false);
  const answer = fetcher.state === 'idle' ? fetcher.data : undefined;
  useEffect(() => {
    if (!answer || reported.current) return;
    reported.current = true;
    onAnswer(fetcherKey, answer);
  }, [answer, fetcherKey, onAnswer]);
  return null;
}
