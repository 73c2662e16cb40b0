import type { TenantConnection } from '@silo/fleet';
import { TODO_METRICS_SQL } from '@silo/todo-schema';
import type { Tenant } from './context.server';

export interface Todo {
  id: number;
  title: string;
  completed: boolean;
}

export async function listTodos(db: TenantConnection): Promise<Todo[]> {
  const { rows } = await db.execute('SELECT id, title, completed FROM todos ORDER BY id');
  return rows.map((row) => ({ id: Number(row['id']), title: String(row['title']), completed: row['completed'] === 1 || row['completed'] === 1n }));
}

export async function addTodo(db: TenantConnection, title: string): Promise<void> {
  const now = Date.now();
  await db.execute('INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, 0, ?, ?)', [title, now, now]);
}

export async function setCompleted(db: TenantConnection, id: number, completed: boolean): Promise<void> {
  await db.execute('UPDATE todos SET completed = ?, updated_at = ? WHERE id = ?', [completed ? 1 : 0, Date.now(), id]);
}

export async function setAllCompleted(db: TenantConnection, completed: boolean): Promise<void> {
  await db.execute('UPDATE todos SET completed = ?, updated_at = ? WHERE completed <> ?', [completed ? 1 : 0, Date.now(), completed ? 1 : 0]);
}

export async function renameTodo(db: TenantConnection, id: number, title: string): Promise<void> {
  await db.execute('UPDATE todos SET title = ?, updated_at = ? WHERE id = ?', [title, Date.now(), id]);
}

export async function deleteTodo(db: TenantConnection, id: number): Promise<void> {
  await db.execute('DELETE FROM todos WHERE id = ?', [id]);
}

export async function clearCompleted(db: TenantConnection): Promise<void> {
  await db.execute('DELETE FROM todos WHERE completed = 1');
}

/** Reports the counts to the catalog (batched by the fleet) after a write. */
export async function touchMetrics(tenant: Tenant): Promise<void> {
  const { rows } = await tenant.db.execute(TODO_METRICS_SQL);
  const row = rows[0];
  tenant.fleet.touch(tenant.name, { todos: Number(row?.['todos'] ?? 0), completed: Number(row?.['completed'] ?? 0) });
}
