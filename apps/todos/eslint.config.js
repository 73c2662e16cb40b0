// ESLint 10 looks up the config from each file's folder, so this file applies to apps/todos
// whether eslint runs here or at the root. It extends the root rules with what the app needs.
import globals from 'globals';
import root from '../../eslint.config.js';

export default [
  { ignores: ['build/**', '.react-router/**'] },
  ...root,
  {
    files: ['app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
];
