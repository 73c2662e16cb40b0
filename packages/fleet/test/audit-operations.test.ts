/**
 * `Fleet.auditOperations` is what an audit filter may ask for (the API answers 422 for anything
 * else): it must list every operation the fleet's own code records, before any has happened.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLEET_AUDIT_OPERATIONS } from '../src/fleet';
import { tempFleet } from './helpers';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** The operation names written in the fleet's sources: `operation: '…'` and the audited runners' first argument. */
function operationsInSources(): Set<string> {
  const found = new Set<string>();
  const pattern = /(?:operation: |(?:#audited|#auditedWithReady|audit\.run|\.runDelivered|\.runCommittedBy)\()'([^']+)'|operation: options\.dryRun \? '([^']+)' : '([^']+)'/g;
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|mjs)$/.test(entry.name)) continue;
    const text = readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(pattern)) for (const name of match.slice(1)) if (name !== undefined) found.add(name);
  }
  return found;
}

describe('the audit log’s operation names', () => {
  it('lists every operation the fleet records', () => {
    const recorded = operationsInSources();
    // The scan finds the usual ones: it is looking in the right place.
    expect(recorded).toContain('create');
    expect(recorded).toContain('migrate-all (dry run)');
    expect([...recorded].filter((name) => !FLEET_AUDIT_OPERATIONS.includes(name)).sort()).toEqual([]);
  });

  it('offers them on a fleet that has recorded nothing yet, and adds what tools built on it record', async () => {
    const { fleet } = await tempFleet();
    expect(fleet.auditOperations()).toEqual([...FLEET_AUDIT_OPERATIONS].sort());
    fleet.recordAudit({ operation: 'invoice sent', instance: null });
    expect(fleet.auditOperations()).toContain('invoice sent');
    expect(fleet.auditOperations()).toContain('purge');
  });
});
