// infra/functions/revocation.js keeps to what CloudFront documents for runtime cloudfront-js-2.0
// (subset.mjs says which pages), stays under the function size limit, and the checker itself
// refuses each thing it claims to (so a clean report means something).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SOURCE } from './harness.mjs';
import { check } from './subset.mjs';

// "Maximum size of a function: 10 KB" (CloudFront Functions quotas). Counted as 10,000 bytes,
// the stricter reading; the CloudFormation templates inline these same bytes.
const MAX_BYTES = 10000;

test('the function source stays under the 10 KB function size limit', () => {
  const bytes = Buffer.byteLength(SOURCE, 'utf8');
  assert.ok(bytes < MAX_BYTES, `revocation.js is ${bytes} bytes; the limit is ${MAX_BYTES}`);
});

test('the function source uses only documented runtime 2.0 features', () => {
  assert.deepEqual(check(SOURCE), []);
});

test('the import and the kvs() handle are the first lines, as the KeyValueStore helper page shows', () => {
  const [first, second] = SOURCE.split('\n');
  assert.equal(first, "import cf from 'cloudfront';");
  assert.match(second, /^const kvs = cf\.kvs\(\);/);
});

test('the source is ASCII (CloudFormation inlines it; no encoding surprises)', () => {
  assert.ok(/^[\x09\x0a\x20-\x7e]*$/.test(SOURCE), 'non-ASCII or control characters in revocation.js');
});

const PRELUDE = "import cf from 'cloudfront';\nconst kvs = cf.kvs();\n";
const wrap = (body) => `${PRELUDE}async function handler(event) {\n${body}\nreturn event.request;\n}\n`;

const REFUSED = {
  'require(': [wrap("const fs = require('fs');"), /require\(\)/],
  eval: [wrap("eval('1');"), /eval\(\)/],
  'new Function': [wrap("const f = new Function('a', 'return a');"), /Function constructors/],
  'Function()': [wrap("const f = Function('return 1');"), /Function constructors/],
  setTimeout: [wrap('setTimeout(() => 1, 10);'), /timers/],
  setImmediate: [wrap('setImmediate(() => 1);'), /timers/],
  fetch: [wrap("await fetch('https://example.com');"), /network/],
  XMLHttpRequest: [wrap('const x = new XMLHttpRequest();'), /network/],
  process: [wrap('const e = process.env;'), /process/],
  'Buffer (import form undocumented)': [wrap("const b = Buffer.from('x');"), /Buffer: not a documented/],
  class: [`${PRELUDE}class A {}\nasync function handler(event) { return event.request; }\n`, /classes/],
  generator: [`${PRELUDE}function* g() {}\nasync function handler(event) { return event.request; }\n`, /generators/],
  'for-of': [wrap('for (const k of [1, 2]) { k; }'), /for-of/],
  spread: [wrap('const a = [...[1, 2]];'), /spread/],
  'optional chaining': [wrap('const v = event.request?.uri;'), /optional chaining/],
  'nullish coalescing': [wrap("const v = event.request.uri ?? '/';"), /nullish/],
  'logical assignment': [wrap('let v = 0; v ||= 1;'), /logical assignment/],
  'top-level await': [`${PRELUDE}const x = await kvs.get('k');\nasync function handler(event) { return event.request; }\n`, /top-level await/],
  'await in a non-async function': [`${PRELUDE}function f() { return await kvs.get('k'); }\nasync function handler(event) { return event.request; }\n`, /await outside an async function/],
  'async arrow (closure)': [wrap("const f = async () => kvs.get('k');"), /async only on top-level/],
  'nested async function': [wrap('async function inner() { return 1; }'), /async only on top-level/],
  'Array.from': [wrap("const a = Array.from('ab');"), /Array\.from/],
  'Object.fromEntries': [wrap('const o = Object.fromEntries([]);'), /\.fromEntries\(\)/],
  'String.prototype.at': [wrap("const c = 'ab'.at(0);"), /\.at\(\)/],
  'String.prototype.matchAll': [wrap("const m = 'ab'.matchAll(/a/g);"), /\.matchAll\(\)/],
  'Array.prototype.flat': [wrap('const a = [[1]].flat();'), /\.flat\(\)/],
  'console.log comma syntax': [wrap("console.log('a', 'b');"), /one argument/],
  'undocumented global': [wrap("const u = new URL('https://example.com');"), /URL: not a documented/],
  'structuredClone': [wrap('const c = structuredClone({});'), /structuredClone: not a documented/],
  export: [`${PRELUDE}export async function handler(event) { return event.request; }\n`, /exports nothing/],
  'second import': [`${PRELUDE}import crypto from 'crypto';\nasync function handler(event) { return event.request; }\n`, /only import/],
  'import not first': [`const x = 1;\n${PRELUDE}async function handler(event) { return event.request; }\n`, /only import/],
  'template substitution (not analysed)': [wrap('const s = `${event.request.uri}`;'), /template substitutions/],
};

for (const [name, [src, why]] of Object.entries(REFUSED)) {
  test(`the checker refuses: ${name}`, () => {
    const findings = check(src).map((f) => f.what);
    assert.ok(findings.some((f) => why.test(f)), `expected a finding like ${why} in:\n${src}\ngot ${JSON.stringify(findings)}`);
  });
}

test('the checker accepts documented features used in the ordinary way', () => {
  const ok = wrap([
    'const q = event.request.querystring;',
    "let n = 0; for (let i = 0; i < 3; i++) { n += i; } for (const k in q) { n++; }",
    "const o = { a: 1, 'b-c': [2], d: { e: /x[/]y/g.test('x') ? 1 : 2 } };",
    'const keys = Object.keys(o).map((k) => k.toUpperCase()).filter((k) => k.startsWith("A"));',
    "const t = new Date(0).toISOString().padStart(3, ' ') + `plain template`;",
    'const m = Math.max.apply(null, [1, 2]) ** 2;',
    'const j = JSON.parse(JSON.stringify({ x: Number.isInteger(1) }));',
    "const d = decodeURIComponent('%41') + atob('QQ==') + btoa('A');",
    "try { await kvs.get('k', { format: 'string' }); } catch (e) { console.log('miss ' + e); }",
    'const p = await Promise.resolve(1);',
  ].join('\n'));
  assert.deepEqual(check(ok), []);
});
