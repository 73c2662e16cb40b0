// `npm run docs:settings`: rewrites the README's configuration tables from the settings table
// (packages/fleet/src/settings/table.ts). `--check` only says whether they are stale (exit 1).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTables } from '@silo/fleet/internal';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const current = readFileSync(readme, 'utf8');
const fresh = withSettingsTables(current);
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    console.error('README.md: the configuration tables are stale; run `npm run docs:settings`.');
    process.exit(1);
  }
  console.log('README.md: the configuration tables are up to date.');
} else if (fresh === current) {
  console.log('README.md: the configuration tables were already up to date.');
} else {
  writeFileSync(readme, fresh);
  console.log('README.md: configuration tables rewritten from packages/fleet/src/settings/table.ts.');
}
