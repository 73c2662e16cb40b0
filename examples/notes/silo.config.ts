// The notes app's Silo config: read by the app (loadSiloConfig), `silo` and `silo-admin`.
import { defineConfig } from '@silo/fleet';

export default defineConfig({
  // 0001_notes.sql, 0002_pinned.sql, …: each workspace's database, version by version.
  schema: { migrations: './migrations', id: 'notes' },
  // The admin's columns, one number per workspace. They read version 1's table only, so they
  // hold for a workspace that `silo migrate` has not reached yet.
  metrics: [
    { name: 'notes', label: 'Notes', sql: 'SELECT count(*) FROM notes' },
    {
      name: 'words',
      label: 'Words',
      // Words are runs of text between single spaces: an estimate, which is all a column needs.
      sql: "SELECT coalesce(sum(length(trim(body)) - length(replace(trim(body), ' ', '')) + (trim(body) <> '')), 0) FROM notes",
    },
    { name: 'text_bytes', label: 'Text', sql: 'SELECT coalesce(sum(length(CAST(title || body AS BLOB))), 0) FROM notes', format: 'bytes' },
  ],
  appUrl: 'http://127.0.0.1:8787/t/{name}',
  regions: [
    { id: 'eu-west', jurisdiction: 'eu' },
    { id: 'us-east', jurisdiction: 'us' },
  ],
});
