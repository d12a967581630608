// Runs TypeScript entry points without a build step: ts-node transpiles (keeping the
// decorator metadata NestJS injection needs) and tsconfig-paths resolves the @app/* aliases.
process.env.TS_NODE_TRANSPILE_ONLY = 'true';
process.env.TS_NODE_PROJECT = require('path').join(__dirname, '..', '..', 'tsconfig.json');
require('ts-node/register');
require('tsconfig-paths/register');
