/**
 * The module layering of einmal (docs/architecture.md §2), checked by `npm run check` and CI.
 * Tests (`*.test.ts`, tests/) and benchmarks (bench/) may import anything; nothing imports them.
 * Imports of types count like any other import: a layer may not even name what lies above it.
 */

/** Paths of production code: everything but tests and benchmarks. */
const TEST_OR_BENCH = ['\\.test\\.tsx?$', '^tests/', '^bench/'];
const PRODUCTION = { pathNot: TEST_OR_BENCH };
const MODULES = '(adapters|audit|certs|cli|core|dev|gateway|portal|protocol|registry|schemas)';

/** A module may import from the modules listed, and from nothing else of the project. */
const onlyFrom = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: TEST_OR_BENCH },
  to: { path: `^${MODULES}/`, pathNot: allowed },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circles: each module can be read (and loaded) before the ones that use it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    onlyFrom(
      'errors-leaf',
      '^core/errors/',
      ['^core/errors/'],
      'core/errors is the leaf everything may use: the error type, its codes and the one error responder.',
    ),
    onlyFrom(
      'schemas-on-errors-only',
      '^schemas/',
      ['^schemas/', '^core/errors/'],
      'The zod contracts load no database driver, logger or framework: only the errors leaf.',
    ),
    onlyFrom('certs-below-protocol', '^certs/', [
      '^certs/',
      '^core/errors/',
      '^schemas/',
      '^cli/command\\.ts$',
    ]),
    onlyFrom(
      'protocol-below-audit',
      '^protocol/',
      ['^protocol/', '^core/errors/', '^schemas/', '^certs/'],
      'The signed documents that cross the wire depend on contracts and PKI only.',
    ),
    onlyFrom('audit-below-services', '^audit/', [
      '^audit/',
      '^core/',
      '^schemas/',
      '^certs/',
      '^protocol/',
      '^cli/command\\.ts$',
    ]),
    onlyFrom('gateway-not-registry', '^gateway/', [
      '^gateway/',
      '^core/',
      '^schemas/',
      '^certs/',
      '^protocol/',
      '^audit/',
      '^cli/command\\.ts$',
    ]),
    onlyFrom('registry-not-gateway', '^registry/', [
      '^registry/',
      '^core/',
      '^schemas/',
      '^certs/',
      '^protocol/',
      '^audit/',
      '^cli/command\\.ts$',
    ]),
    onlyFrom(
      'sdk-on-schemas-and-errors',
      '^adapters/sdk/',
      ['^adapters/sdk/', '^schemas/', '^core/errors/', '^core/index\\.ts$'],
      'The adapter SDK is the public entry einmal/adapter-sdk: it pulls in the contracts, the errors leaf and the logger only.',
    ),
    onlyFrom(
      'sample-registries-as-sdk-users',
      '^adapters/',
      ['^adapters/', '^schemas/', '^core/', '^cli/command\\.ts$'],
      'The sample registries use the SDK like any outsider; they know no gateway, registry or demo.',
    ),
    onlyFrom(
      'portal-not-services',
      '^portal/',
      ['^portal/', '^core/', '^schemas/', '^certs/', '^protocol/', '^audit/', '^cli/command\\.ts$'],
      'The portal reads logs through the protocol and audit libraries, not through gateway or registry code.',
    ),
    {
      name: 'dev-is-a-leaf',
      comment:
        'Production code takes nothing from the demo: no defaults, no folder layout, no types. The demo is one user of the production path.',
      severity: 'error',
      from: { path: `^${MODULES}/`, pathNot: [...TEST_OR_BENCH, '^dev/', '^cli/groups\\.ts$'] },
      to: { path: '^dev/' },
    },
    {
      name: 'dev-only-as-a-command-group',
      comment:
        'The CLI composition root offers `einmal dev` and takes nothing else from dev/: only its command group, dev/cli.ts.',
      severity: 'error',
      from: { path: '^cli/groups\\.ts$' },
      to: { path: '^dev/', pathNot: '^dev/cli\\.ts$' },
    },
    {
      name: 'production-reaches-dev-only-through-its-command-group',
      comment:
        'No production module outside cli/ and dev/ reaches the demo, not even through another module.',
      severity: 'error',
      from: {
        path: `^(adapters|audit|certs|core|gateway|portal|protocol|registry|schemas)/`,
        pathNot: TEST_OR_BENCH,
      },
      to: { path: '^dev/', reachable: true },
    },
    {
      name: 'nothing-imports-tests-or-bench',
      severity: 'error',
      from: PRODUCTION,
      to: { path: ['^tests/', '^bench/'] },
    },
    {
      name: 'only-through-barrels',
      comment:
        "Another module is imported through its index.ts (core's errors, database and ops, and protocol's encodings, have their own); command lines through their cli.ts, from cli/ only; cli/command.ts is the CLI framework modules describe their commands with.",
      severity: 'error',
      from: { path: `^${MODULES}/`, pathNot: TEST_OR_BENCH },
      to: {
        path: `^${MODULES}/`,
        pathNot: [
          '^$1/',
          `^${MODULES}/index\\.ts$`,
          '^core/(errors|database|ops)/index\\.ts$',
          '^protocol/codec/index\\.ts$',
          '^audit/bundle/index\\.ts$',
          '^adapters/sdk/index\\.ts$',
          '^cli/command\\.ts$',
          `^${MODULES}/cli\\.ts$`,
        ],
      },
    },
    {
      name: 'command-lines-from-cli-only',
      comment: 'Barrels export libraries; cli/ composes the command groups.',
      severity: 'error',
      from: { path: `^${MODULES}/`, pathNot: [...TEST_OR_BENCH, '^cli/', '^dev/'] },
      to: { path: `^${MODULES}/cli\\.ts$`, pathNot: '^$1/' },
    },
    {
      name: 'gateway-start-loads-no-registry-or-demo',
      comment: 'Starting a gateway loads no registry, demo, sample-registry or CLI-group module.',
      severity: 'error',
      from: { path: '^gateway/server\\.ts$' },
      to: { path: ['^registry/', '^dev/', '^adapters/', '^cli/groups\\.ts$'], reachable: true },
    },
    {
      name: 'offline-verifier-is-light',
      comment:
        'Verifying an audit bundle offline needs no CLI framework and no database driver: neither is reachable from the verifier.',
      severity: 'error',
      from: { path: '^audit/bundle/bundle-verify\\.ts$' },
      to: {
        path: ['^cli/', '^core/database/', 'node_modules/(pg|@electric-sql/pglite|kysely)/'],
        reachable: true,
      },
    },
    {
      name: 'verifier-worker-starts-light',
      comment:
        "The offline verifier's worker threads check records without the X.509 library: the signature trust (and certs/) is imported dynamically, when a chunk holds a signature, and the protocol's encodings come from protocol/codec/.",
      severity: 'error',
      from: {
        path: '^audit/(bundle/(record-worker|record-chunk|record-checks|record-line|record-validate|bundle-format|exchange-pairing)|merkle|merkle-plan)\\.ts$',
      },
      to: {
        path: ['^audit/bundle/signature-trust\\.ts$', '^certs/', '^protocol/index\\.ts$'],
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'protocol-codec-is-light',
      comment:
        "protocol/codec/ is the protocol's encodings for code that must start fast (the verifier's workers): it imports nothing of certs/, of the rest of protocol/, or of the X.509 library and network clients.",
      severity: 'error',
      from: { path: '^protocol/codec/' },
      to: { path: ['^certs/', '^protocol/(?!codec/)', 'node_modules/(@peculiar|undici|pg|kysely)/'] },
    },
    {
      name: 'sdk-loads-no-database',
      comment: 'An adapter built on the SDK chooses its own storage.',
      severity: 'error',
      from: { path: '^adapters/sdk/(index|testkit)\\.ts$' },
      to: { path: ['^core/database/', 'node_modules/(pg|@electric-sql/pglite|kysely)/'], reachable: true },
    },
    {
      name: 'sdk-loads-only-its-own-needs',
      comment:
        'The package entries einmal/adapter-sdk and einmal/adapter-sdk/testkit load the contracts, the errors, the logger and the SDK itself: no registry, gateway, audit, PKI, portal, CLI, demo or sample registry.',
      severity: 'error',
      from: { path: '^adapters/sdk/(index|testkit)\\.ts$' },
      to: {
        path: [
          '^(registry|gateway|audit|certs|protocol|portal|cli|dev|bench|tests)/',
          '^adapters/(?!sdk/)',
          '^core/database/',
          'node_modules/(oidc-provider|openid-client|undici|@peculiar|reflect-metadata|tsx)/',
        ],
        reachable: true,
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|bench-results)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
