// The TODO demo's Silo config: its tenant schema, the admin's metric columns and the app's
// links. Settings (data folder, regions, backups, engine) stay in SILO_* variables.
// Only a type import, so plain `node` loads this file (it strips the types).
import type { SiloConfig } from '@silo/fleet';

export default {
  schema: {
    migrations: './apps/todos/migrations',
    id: 'todos',
    // Sessions in an uploaded file were signed in elsewhere: none is valid here, and without a
    // bound on their number each sign-in's clean-up would scan them all. Members sign in again.
    // Password-reset and invite links were issued for the list the file came from: none works here
    // (an invite would otherwise admit its holder to every imported copy as well).
    uploadCleanup: ['DELETE FROM sessions', 'DELETE FROM password_resets', 'DELETE FROM invites'],
  },
  metrics: [
    { name: 'todos', label: 'TODOs', sql: 'SELECT count(*) FROM todos' },
    { name: 'completed', label: 'Done', sql: 'SELECT coalesce(sum(completed), 0) FROM todos' },
  ],
  appUrl: 'http://127.0.0.1:3000/t/{name}',
} satisfies SiloConfig;
