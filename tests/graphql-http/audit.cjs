#!/usr/bin/env node
// graphql-http's server audit (GraphQL over HTTP, https://graphql.github.io/graphql-over-http/)
// against a running mediagate: `node tests/graphql-http/audit.cjs http://127.0.0.1:PORT/graphql`.
//
// MEDIAGATE_GQL_CLIENTS_NODE_MODULES names the node_modules directory holding the packages
// pinned in package.json beside this file (scripts/test installs them outside the repo and
// exports it). Prints one JSON object: {"version": …, "results": [{id, name, status, reason}]},
// one result per audit, in the audit's order; the Rust test (tests/it/api/graphql_http.rs)
// decides what passes.
"use strict";

const { requireInstalled, fail } = require("./installed.cjs");

async function main() {
  const url = process.argv[2];
  if (!url) fail("usage: audit.cjs URL");
  const { serverAudits } = requireInstalled("graphql-http");
  const results = [];
  for (const audit of serverAudits({ url })) {
    const result = await audit.fn();
    results.push({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === "ok" ? null : result.reason,
    });
  }
  const version = requireInstalled("graphql-http/package.json").version;
  process.stdout.write(JSON.stringify({ version, results }) + "\n");
}

main().catch((e) => fail(e && e.stack ? e.stack : e));
