export { startTursoStandin, type TursoStandin, type TursoStandinOptions } from './standin';
export { libsqlClientConfig } from './client-config';
export { createCatalogDatabase, siloTursoEnv, startJurisdictionStandin } from './silo-fixture';
export { startStandinProcess } from './standin-process';
export { standinHooks, type InjectedFault } from './hooks-client';
export { classifyStatement, splitStatements } from './sqld-statements';
