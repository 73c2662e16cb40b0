/**
 * Where the focus goes when the control holding it is about to go (its todo deleted, the
 * completed ones cleared): the next todo's checkbox, else the previous one's, else the
 * new-todo field. Left alone, it falls to `<body>`, and a keyboard user starts over from the
 * top of the page. Read before the removal: afterwards the item is gone.
 */
export function focusAfterRemoving(control: Element | null): HTMLElement | null {
  const item = control?.closest('li');
  const neighbour = item?.nextElementSibling ?? item?.previousElementSibling;
  return neighbour?.querySelector<HTMLElement>('.toggle:not(:disabled)') ?? document.querySelector<HTMLElement>('.new-todo');
}
