import type * as LibsqlClient from '@libsql/client';
import { lazyMember, loadOptional } from './load-optional';

/** `@libsql/client`, an optional peer: only Turso (engine or catalog) needs it. */
const load = (): typeof LibsqlClient => loadOptional<typeof LibsqlClient>('@libsql/client', 'Turso (SILO_ENGINE=turso or a Turso catalog)');

export const createClient = lazyMember(load, 'createClient');
export const LibsqlError = lazyMember(load, 'LibsqlError');
export type LibsqlError = LibsqlClient.LibsqlError;
export type { Client, InArgs, InStatement, InValue, ResultSet, Transaction } from '@libsql/client';
