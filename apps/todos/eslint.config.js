// ESLint 10 looks up the config from each file's folder, so this file applies to apps/todos
// whether eslint runs here or at the root. It extends the root rules with what the app needs.
import globals from 'globals';
import root from '../../eslint.config.js';

export default [
  // The vendored TodoMVC suites stay as published (test/todomvc/README.md).
  { ignores: ['build/**', '.react-router/**', 'public/**', 'test/todomvc/playwright/**', 'test/todomvc/tastejs/**'] },
  ...root,
  {
    files: ['app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
];
