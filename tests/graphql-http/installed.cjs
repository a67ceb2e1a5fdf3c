// Loads the packages pinned in tests/graphql-http/package.json from the directory scripts/test
// installed them into (MEDIAGATE_GQL_CLIENTS_NODE_MODULES), never from wherever node looks.
"use strict";

const path = require("node:path");
const { createRequire } = require("node:module");

function fail(msg) {
  process.stderr.write(`${path.basename(process.argv[1])}: ${msg}\n`);
  process.exit(2);
}

function requireInstalled(name) {
  const dir = process.env.MEDIAGATE_GQL_CLIENTS_NODE_MODULES;
  if (!dir) fail("MEDIAGATE_GQL_CLIENTS_NODE_MODULES is not set (scripts/test sets it)");
  return createRequire(path.join(path.resolve(dir), "..", "package.json"))(name);
}

module.exports = { requireInstalled, fail };
