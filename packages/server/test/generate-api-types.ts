// `npm run generate -w @silo/server`: rewrites src/api-types.ts from the OpenAPI document.
import { writeFileSync } from 'node:fs';
import { API_TYPES_FILE, generatedApiTypes } from './api-types-source';

writeFileSync(API_TYPES_FILE, await generatedApiTypes());
