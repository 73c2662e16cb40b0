import { useEffect, useState } from 'react';
import type { ListParams } from '../../lib/instances.server';

export interface Selection {
  /** Checked instances (kept across pages of the same filter). */
  names: ReadonlySet<string>;
  /** "All N matching the filter": the action gets the filter, not these names. */
  allMatching: boolean;
}

/** What the filter is: a new one starts a new selection (a checked row may no longer match). */
function filterKey(params: ListParams): string {
  return JSON.stringify([params.q, params.state, params.jurisdiction, params.region]);
}

export function useSelection(params: ListParams) {
  const [selection, setSelection] = useState<Selection>({ names: new Set(), allMatching: false });
  const key = filterKey(params);
  useEffect(() => setSelection({ names: new Set(), allMatching: false }), [key]);
  return {
    selection,
    toggle(name: string, checked: boolean) {
      const names = new Set(selection.names);
      if (checked) names.add(name);
      else names.delete(name);
      setSelection({ names, allMatching: false });
    },
    setPage(pageNames: readonly string[], checked: boolean) {
      const names = new Set(selection.names);
      for (const name of pageNames) {
        if (checked) names.add(name);
        else names.delete(name);
      }
      setSelection({ names, allMatching: false });
    },
    selectAllMatching: () => setSelection({ names: selection.names, allMatching: true }),
    clear: () => setSelection({ names: new Set(), allMatching: false }),
  };
}

export type SelectionControls = ReturnType<typeof useSelection>;

/** The form fields that name the selection: the filter for "all matching", else each name. */
export function selectionFields(selection: Selection, params: ListParams): [string, string][] {
  if (selection.allMatching) {
    return [
      ['scope', 'filter'],
      ['q', params.q],
      ['state', params.state],
      ['jurisdiction', params.jurisdiction],
      ['region', params.region],
      ['sort', params.sort],
      ['order', params.order],
    ];
  }
  return [...selection.names].map((name) => ['name', name]);
}
