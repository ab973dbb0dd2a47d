// ESLint: what the type checker and prettier cannot see. Imports point one way (docs/architecture.md,
// "The dependency rule"), no import loop, type-only included, and a backend or a sub-API is entered
// only through its index.ts. Formatting is prettier's: no style rules here.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * import-x/no-cycle skips type-only imports, but a loop of them still ties two rooms into one
 * (STYLE.md). This parser hands every rule the TypeScript AST with each import and re-export
 * marked as a value import, so no-cycle follows type imports too. Nothing else in this config
 * reads the import kind; the type checker (verbatimModuleSyntax) still does.
 */
const parserCountingTypeImports = {
  meta: { name: 'typescript-eslint-parser-counting-type-imports' },
  parseForESLint(code, options) {
    const result = tseslint.parser.parseForESLint(code, options);
    for (const node of result.ast.body) {
      if (node.type === 'ImportDeclaration') {
        node.importKind = 'value';
        for (const specifier of node.specifiers) if ('importKind' in specifier) specifier.importKind = 'value';
      } else if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') {
        if (node.source) node.exportKind = 'value';
        for (const specifier of node.specifiers ?? []) if ('exportKind' in specifier) specifier.exportKind = 'value';
      }
    }
    return result;
  },
};

/** Lower rooms never import higher ones: main -> app -> http, pipeline -> the rest (STYLE.md). */
const TOP = ['./src/cli', './src/server.ts', './src/app.ts'];
const LOWER = [
  './src/policy',
  './src/ledger',
  './src/proxy',
  './src/estimate',
  './src/pricing',
  './src/money',
  './src/config',
  './src/metrics',
  './src/demo',
  './src/errors.ts',
  './src/ids.ts',
  './src/bounded-map.ts',
  './src/principal.ts',
  './src/auth.ts',
  './src/headers.ts',
];
const layerZones = [
  {
    target: './ui',
    from: ['./src', './test', './bench'],
    message: 'The live view runs in the browser: it talks to runcap over HTTP only, never imports its code.',
  },
  {
    target: ['./src', './test', './bench'],
    from: './ui',
    message: 'runcap serves the built page from dist/ui (src/http/ui-assets.ts); nothing imports the ui/ sources.',
  },
  {
    target: ['./src/pipeline', './src/http', ...LOWER],
    from: TOP,
    message: 'Only main/server/app sit above http/ and pipeline/.',
  },
  {
    target: ['./src/pipeline', ...LOWER],
    from: './src/http',
    message: 'Nothing below http/ imports from it: move what both need below both (src/headers.ts, src/auth.ts).',
  },
  { target: LOWER, from: './src/pipeline', message: 'pipeline/ orders the lower modules; they never call back up.' },
  {
    target: ['./src/ledger', './src/pricing', './src/estimate'],
    from: './src/config',
    message:
      "The configuration names these modules' types; they never import it (see ledger/open-store.ts StoreConfig).",
  },
  {
    target: './src/money',
    from: './src',
    except: ['./money'],
    message: 'money/ is the floor: integer micro-USD, no other import.',
  },
  {
    target: './src/pipeline/*.ts',
    from: './src/pipeline/budget-api',
    message: "The pipeline's shared pieces never import the budget API (it builds on them).",
  },
  {
    target: ['./src/http', './src/app.ts', './test', './bench'],
    from: './src/pipeline/budget-api',
    except: ['./index.ts'],
    message: 'Enter the budget API through pipeline/budget-api/index.ts.',
  },
];

/** The ledger's doors: src/ledger/index.ts for the code, each backend's index.ts for its tests. */
const ledgerZones = [
  {
    target: ['./src/!(ledger)/**', './src/*.ts'],
    from: './src/ledger',
    except: ['./index.ts'],
    message: 'Import the ledger through src/ledger/index.ts.',
  },
  {
    target: ['./test', './bench'],
    from: './src/ledger',
    except: ['./index.ts', './sqlite/index.ts', './redis/index.ts'],
    message: 'Import the ledger through src/ledger/index.ts (or a backend folder index.ts).',
  },
  { target: './src/ledger/sqlite', from: './src/ledger/redis', message: 'Backends never import each other.' },
  { target: './src/ledger/redis', from: './src/ledger/sqlite', message: 'Backends never import each other.' },
  {
    target: ['./src/ledger/*.ts'],
    from: ['./src/ledger/sqlite', './src/ledger/redis'],
    except: ['./index.ts'],
    message: "The seam at src/ledger/ knows no backend's inside (only index.ts and open-store.ts open one).",
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'coverage/**', '.bench-out/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: parserCountingTypeImports, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['./tsconfig.json', './ui/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      // Never parse dependencies: loops are ours to find, and reading node_modules is most of the cost.
      'import-x/ignore': ['node_modules'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...ledgerZones] }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': 'allow-with-description' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
