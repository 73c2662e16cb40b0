import type { InstanceState } from '@silo/fleet';

/** Instance list constants and the row shape, shared by server and browser. */
export const STATES: readonly InstanceState[] = ['ready', 'provisioning', 'moving', 'failed', 'deleted'];
export const PAGE_SIZES = [25, 50, 100] as const;

/** One instance as the browser sees it: plain, serialisable, nothing secret. */
export interface InstanceRowView {
  name: string;
  displayName: string;
  state: InstanceState;
  jurisdiction: string;
  region: string;
  dbUrl: string;
  schemaVersion: number;
  sizeBytes: number;
  clonedFrom: string | null;
  createdAt: number;
  lastActiveAt: number | null;
  deletedAt: number | null;
  error: string | null;
  todos: number;
  completed: number;
}

