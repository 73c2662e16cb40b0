import { notADownload, requireExportBudget, requireOwner } from '../auth.server';
import { prettyJsonStream } from '../json-export.server';
import type { Route } from './+types/export-json';

/**
 * The todos and members as JSON: a portable export for other tools, for the owner (like the
 * .sqlite download). Only named columns are read, so no credential can end up in it.
 * Both reads are one read transaction on the fleet's SQLite worker thread (a whole list is
 * megabytes at the limits), and the body is formatted as the client reads it.
 */
export async function loader({ context, request }: Route.LoaderArgs) {
  const { tenant } = requireOwner(context, request);
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': `attachment; filename="${tenant.name}-todos.json"`, 'Cache-Control': 'no-store' };
  const refusal = notADownload(request, headers);
  if (refusal) return refusal;
  await requireExportBudget(tenant);
  const [todos, members] = await tenant.db.batchOffThread([
    { sql: 'SELECT id, title, completed, created_at, updated_at FROM todos ORDER BY id' },
    { sql: 'SELECT email, role, created_at FROM users ORDER BY created_at, id' },
  ]);
  const body = prettyJsonStream({
    list: tenant.name,
    displayName: tenant.instance.displayName,
    exportedAt: new Date().toISOString(),
    todos: (todos?.rows ?? []).map((row) => ({
      id: Number(row['id']),
      title: String(row['title']),
      completed: Number(row['completed']) === 1,
      createdAt: new Date(Number(row['created_at'])).toISOString(),
      updatedAt: new Date(Number(row['updated_at'])).toISOString(),
    })),
    members: (members?.rows ?? []).map((row) => ({
      email: String(row['email']),
      role: String(row['role']),
      joinedAt: new Date(Number(row['created_at'])).toISOString(),
    })),
  });
  return new Response(body, { headers });
}
