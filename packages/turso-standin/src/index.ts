export { startTursoStandin, type TursoStandin, type TursoStandinOptions } from './standin';
export { libsqlClientConfig } from './client-config';
export { siloTursoEnv, startJurisdictionStandin } from './silo-fixture';
