// Type-aware lint rules for the whole repository (src, tests, examples, scripts).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // Peer programs (bench/peers) have their own dependencies and build; they are not kafka-ipc code.
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'bench/peers/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers and booleans in template strings read fine in messages and logs.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/transports/**', '@platformatic/kafka'], message: 'src/core never imports a transport' }, { group: ['@opentelemetry/*'], message: 'src/core calls its MessageTracer seam; OpenTelemetry lives in src/operations/tracing' }] }],
    },
  },
  {
    // The layers of src/core (docs/architecture.md): the protocol module is the bottom; the
    // pipeline stands on it and never reaches up to the Client or Service that assemble it.
    files: ['src/core/protocol/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/transports/**', '@platformatic/kafka'], message: 'src/core never imports a transport' },
            { group: ['@opentelemetry/*'], message: 'src/core calls its MessageTracer seam; OpenTelemetry lives in src/operations/tracing' },
            { group: ['../pipeline/**', '../client.ts', '../service.ts', '../answer-inbox.ts'], message: 'the protocol module is the bottom layer of src/core' },
          ],
        },
      ],
    },
  },
  {
    // The HTTP shape's helpers stand beside the protocol module, under the pipeline.
    files: ['src/core/http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/transports/**', '@platformatic/kafka'], message: 'src/core never imports a transport' },
            { group: ['@opentelemetry/*'], message: 'src/core calls its MessageTracer seam; OpenTelemetry lives in src/operations/tracing' },
            { group: ['../pipeline/**', '../client.ts', '../service.ts', '../answer-inbox.ts'], message: 'src/core/http stands under the pipeline, client and service' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/pipeline/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/transports/**', '@platformatic/kafka'], message: 'src/core never imports a transport' },
            { group: ['@opentelemetry/*'], message: 'src/core calls its MessageTracer seam; OpenTelemetry lives in src/operations/tracing' },
            { group: ['../client.ts', '../service.ts'], message: 'the pipeline never reaches up to the Client or Service that assemble it' },
          ],
        },
      ],
    },
  },
  {
    // Node's global Buffer is a getter on globalThis that runs on every use (~9 ns each on the
    // bench host); on the message path that is paid several times per record. The module's
    // export is an ordinary binding (docs/performance.md).
    files: ['src/**'],
    rules: { 'no-restricted-globals': ['error', { name: 'Buffer', message: "Import it: import { Buffer } from 'node:buffer' (the global is a getter run on every use)." }] },
  },
  {
    // Only src/core is barred from transports; elsewhere the restriction is lifted.
    ignores: ['src/core/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
