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
  /** The configured metrics' values by name; 0 until the app or fleet records one. */
  metrics: Record<string, number>;
  /** The instance's page in the app (silo.config's appUrl); null when none is configured. */
  appUrl: string | null;
}

/** A metric column of the admin, from silo.config.ts: its key, heading and how it is shown. */
export interface MetricColumn {
  name: string;
  label: string;
  format: 'count' | 'bytes';
}

