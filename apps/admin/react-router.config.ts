import type { Config } from '@react-router/dev/config';

export default {
  appDirectory: 'app',
  ssr: true,
  // The whole route manifest goes into the page, so there is no `/__manifest` endpoint: that
  // one answers route shapes without a session (React Router serves it before any route's
  // middleware). The console's manifest is small; lazy discovery saves it nothing worth that.
  routeDiscovery: { mode: 'initial' },
} satisfies Config;
