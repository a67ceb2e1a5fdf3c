#!/usr/bin/env node
// Apollo Client against a running mediagate: what an application using it would see.
//
// Reads {"url": …, "cases": [{"query", "variables"?, "token"?, "mutation"?}]} on stdin and
// prints {"version": …, "results": [...]}, one per case: {"data": …} when Apollo resolved, or
// {"error": {name, message, graphqlErrors: [{message, code}] | null, statusCode}} when it threw.
// Apollo's HttpLink sends its default `accept: application/graphql-response+json,
// application/json;q=0.9`. Packages come from MEDIAGATE_GQL_CLIENTS_NODE_MODULES (installed.cjs).
"use strict";

const { requireInstalled, fail } = require("./installed.cjs");

function describe(error, CombinedGraphQLErrors) {
  const combined = CombinedGraphQLErrors.is(error);
  return {
    name: error && error.name,
    message: error && error.message,
    graphqlErrors: combined
      ? error.errors.map((e) => ({ message: e.message, code: e.extensions && e.extensions.code }))
      : null,
    statusCode: (error && error.statusCode) || null,
  };
}

async function run(apollo, url, c) {
  const { ApolloClient, InMemoryCache, HttpLink, gql, CombinedGraphQLErrors } = apollo;
  const headers = c.token ? { authorization: `Bearer ${c.token}` } : {};
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers }),
    cache: new InMemoryCache(),
  });
  try {
    const document = gql(c.query);
    const result = c.mutation
      ? await client.mutate({ mutation: document, variables: c.variables })
      : await client.query({ query: document, variables: c.variables, fetchPolicy: "no-cache" });
    if (result.error) return { error: describe(result.error, CombinedGraphQLErrors) };
    return { data: result.data };
  } catch (e) {
    return { error: describe(e, CombinedGraphQLErrors) };
  }
}

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  let request;
  try {
    request = JSON.parse(input);
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  const apollo = requireInstalled("@apollo/client");
  const results = [];
  for (const c of request.cases) results.push(await run(apollo, request.url, c));
  const version = requireInstalled("@apollo/client/package.json").version;
  process.stdout.write(JSON.stringify({ version, results }) + "\n");
}

main().catch((e) => fail(e && e.stack ? e.stack : e));
