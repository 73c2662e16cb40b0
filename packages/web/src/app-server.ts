/**
 * `@silo/web/app-server`: the production server both apps run (a subpath, like
 * `@silo/web/react-router`, so the main entry stays free of React).
 */
export { startAppServer, type AppServer, type AppServerFleet, type AppServerOptions } from './app-server/app-server';
