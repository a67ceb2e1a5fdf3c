// Runs infra/functions/revocation.js the way CloudFront Functions does, as far as Node can:
// its own realm (node:vm) whose globals are the ones runtime 2.0 documents and this function
// needs (atob, console.log), strict mode, and a `cloudfront` module whose kvs() handle behaves
// as AWS documents it (get() rejects for a missing key; exists() answers true or false).
// No require, process, Buffer, timers or fetch exist in that realm: using one is a ReferenceError.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export const SOURCE_PATH = fileURLToPath(new URL('../revocation.js', import.meta.url));
export const SOURCE = readFileSync(SOURCE_PATH, 'utf8');
export const IMPORT_LINE = "import cf from 'cloudfront';";

// A key-value store as the function sees it. `entries` maps keys to values (strings). `fail`
// makes every call reject (the store unreadable); `failGet` makes get() reject even for keys
// that exist. `calls` records [method, key] in order.
export function fakeStore(entries = {}, { fail = false, failGet = false } = {}) {
  const calls = [];
  const has = (key) => Object.prototype.hasOwnProperty.call(entries, key);
  return {
    calls,
    handle: {
      async get(key, options) {
        calls.push(['get', key, options]);
        if (fail || failGet) throw new Error('KeyValueStore unavailable');
        if (!has(key)) throw new Error(`Key ${key} not found`);
        const format = (options && options.format) || 'string';
        if (format !== 'string') throw new Error(`fake store: format ${format} not modelled`);
        return entries[key];
      },
      async exists(key) {
        calls.push(['exists', key]);
        if (fail) throw new Error('KeyValueStore unavailable');
        return has(key);
      },
      async meta() {
        calls.push(['meta']);
        if (fail) throw new Error('KeyValueStore unavailable');
        return { keyCount: Object.keys(entries).length, creationDateTime: '2026-12-01T00:00:00.000Z', lastUpdatedDateTime: '2026-12-03T19:58:00.000Z' };
      },
    },
  };
}

// The function's handler, loaded fresh against `store` (cf.kvs() runs at load time, as at the
// edge). The import line is replaced by a parameter: node:vm scripts cannot import, and the
// module's only import is the `cloudfront` one, which must appear exactly once.
export function load(store, source = SOURCE) {
  const lines = source.split('\n');
  const at = lines.map((l) => l.trim()).reduce((acc, l, i) => (l === IMPORT_LINE ? acc.concat(i) : acc), []);
  if (at.length !== 1) throw new Error(`revocation.js must contain "${IMPORT_LINE}" exactly once (found ${at.length})`);
  lines[at[0]] = '';
  const logs = [];
  const realm = vm.createContext({ atob, btoa, console: { log: (m) => logs.push(String(m)) } });
  const script = new vm.Script(`'use strict'; (function (cf) {\n${lines.join('\n')}\nreturn handler;\n})`, {
    filename: SOURCE_PATH,
    lineOffset: -1,
  });
  const kvsCalls = [];
  const cloudfront = {
    kvs(id) {
      kvsCalls.push(id);
      return store.handle;
    },
  };
  const handler = script.runInContext(realm)(cloudfront);
  return Object.assign((event) => handler(event), { kvsCalls, logs });
}

// An event object as documented ("CloudFront Functions event structure"): version, context,
// viewer, request {method, uri, querystring, headers, cookies}. `query` and `cookies` map a
// name to a string or to a list of strings (a list becomes `value` + `multiValue`).
export function event(uri, { query = {}, cookies = {}, method = 'GET' } = {}) {
  const fields = (spec) => {
    const out = {};
    for (const [name, v] of Object.entries(spec)) {
      out[name] = Array.isArray(v) ? { value: v[0], multiValue: v.map((value) => ({ value })) } : { value: v };
    }
    return out;
  };
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: 'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==',
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method,
      uri,
      querystring: fields(query),
      headers: { host: { value: 'media.example.com' }, 'user-agent': { value: 'curl/8.5.0' } },
      cookies: fields(cookies),
    },
  };
}

// What the service signs, as the function receives it (the signatures are CloudFront's to
// check, so any text stands in for them here).
export function signedUrlQuery(v, extra = {}) {
  const q = { Expires: '1796000000', Signature: 'c2lnbmF0dXJl~', 'Key-Pair-Id': 'K2JCJMDEHXQW5F' };
  if (v !== undefined) q.v = v;
  return Object.assign(q, extra);
}

// CloudFront's base64 alphabet for cookie policies: + -> -, = -> _, / -> ~.
export function cloudfrontBase64(text) {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

// The cookies of a custom policy over https://{domain}/{owner}/* whose DateGreaterThan is the
// version (omitted when `version` is undefined).
export function policyCookies(owner, version, { expires = 1796000000 } = {}) {
  const condition = { DateLessThan: { 'AWS:EpochTime': expires } };
  if (version !== undefined) condition.DateGreaterThan = { 'AWS:EpochTime': version };
  const policy = JSON.stringify({ Statement: [{ Resource: `https://media.example.com/${owner}/*`, Condition: condition }] });
  return {
    'CloudFront-Policy': cloudfrontBase64(policy),
    'CloudFront-Signature': 'c2lnbmF0dXJl~',
    'CloudFront-Key-Pair-Id': 'K2JCJMDEHXQW5F',
  };
}

export function cannedCookies() {
  return { 'CloudFront-Expires': '1796000000', 'CloudFront-Signature': 'c2lnbmF0dXJl~', 'CloudFront-Key-Pair-Id': 'K2JCJMDEHXQW5F' };
}

// A realm's objects fail deepStrictEqual against ours (other prototypes): compare as JSON.
export function plain(value) {
  return JSON.parse(JSON.stringify(value));
}
