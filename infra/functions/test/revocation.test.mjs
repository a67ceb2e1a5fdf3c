// Behaviour of infra/functions/revocation.js against a fake KeyValueStore (harness.mjs).
//   node --test infra/functions/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cannedCookies, cloudfrontBase64, event, fakeStore, load, plain, policyCookies, signedUrlQuery } from './harness.mjs';

const FLOOR = 1796327880; // 2026-12-03T19:58:00Z
const REASON = 'revoked at 2026-12-03T19:58:00Z';
const OLDER = String(FLOOR - 3600);
const NEWER = String(FLOOR + 1);
const OBJECT = '/alice/img_01/photo.jpg';

async function run(entries, ev, options) {
  const store = fakeStore(entries, options);
  const handler = load(store);
  return { result: await handler(ev), store, handler };
}

function assertPassedUnchanged(ev, result) {
  const before = JSON.stringify(ev.request);
  assert.equal(result, ev.request, 'the function must hand back the very request object');
  assert.equal(JSON.stringify(result), before, 'and must not have modified it');
}

function assertRefused(result, reason) {
  assert.deepEqual(plain(result), {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: {
      'x-mediagate-edge-reason': { value: reason },
      'cache-control': { value: 'no-store' },
    },
  });
}

test('no entry: a signed URL passes unchanged', async () => {
  const ev = event(OBJECT, { query: signedUrlQuery(OLDER) });
  const { result, store, handler } = await run({}, ev);
  assertPassedUnchanged(ev, result);
  // owner key, then image key: one exists() each when there is no floor.
  assert.deepEqual(store.calls, [['exists', 'alice/'], ['exists', 'alice/img_01/']]);
  assert.deepEqual(handler.kvsCalls, [undefined], 'cf.kvs() once, at load, for the one associated store');
});

test('image floor: a URL below it is refused with the reason; at or above it passes', async () => {
  const entries = { 'alice/img_01/': String(FLOOR) };
  assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery(OLDER) }))).result, REASON);
  assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery(String(FLOOR - 1)) }))).result, REASON);
  for (const v of [String(FLOOR), NEWER]) {
    const ev = event(OBJECT, { query: signedUrlQuery(v) });
    assertPassedUnchanged(ev, (await run(entries, ev)).result);
  }
});

test('image floor: only that image; other images of the owner pass', async () => {
  const entries = { 'alice/img_01/': String(FLOOR) };
  const ev = event('/alice/img_02/photo.jpg', { query: signedUrlQuery(OLDER) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('owner floor: every image of the owner, and no other owner', async () => {
  const entries = { 'alice/': String(FLOOR) };
  for (const uri of [OBJECT, '/alice/img_02/thumb/256.webp']) {
    assertRefused((await run(entries, event(uri, { query: signedUrlQuery(OLDER) }))).result, REASON);
  }
  const ok = event(OBJECT, { query: signedUrlQuery(NEWER) });
  assertPassedUnchanged(ok, (await run(entries, ok)).result);
  const bob = event('/bob/img_01/photo.jpg', { query: signedUrlQuery(OLDER) });
  assertPassedUnchanged(bob, (await run(entries, bob)).result);
  // `alice/` must not match `alicex/`: keys end in `/`.
  const alicex = event('/alicex/img_01/photo.jpg', { query: signedUrlQuery(OLDER) });
  assertPassedUnchanged(alicex, (await run(entries, alicex)).result);
});

test('owner and image floors: the higher one decides, and is the one named', async () => {
  const later = FLOOR + 86400; // 2026-12-04T19:58:00Z
  const entries = { 'alice/': String(FLOOR), 'alice/img_01/': String(later) };
  assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery(NEWER) }))).result, 'revoked at 2026-12-04T19:58:00Z');
  const flipped = { 'alice/': String(later), 'alice/img_01/': String(FLOOR) };
  assertRefused((await run(flipped, event(OBJECT, { query: signedUrlQuery(NEWER) }))).result, 'revoked at 2026-12-04T19:58:00Z');
  const ev = event(OBJECT, { query: signedUrlQuery(String(later)) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('a custom-policy URL (Policy= instead of Expires=) carries its v the same way', async () => {
  const entries = { 'alice/img_01/': String(FLOOR) };
  const q = (v) => ({ v, Policy: cloudfrontBase64('{"Statement":[]}'), Signature: 'c2ln', 'Key-Pair-Id': 'K2JCJMDEHXQW5F' });
  assertRefused((await run(entries, event(OBJECT, { query: q(OLDER) }))).result, REASON);
  const ev = event(OBJECT, { query: q(NEWER) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('missing v is version 0: refused under any floor, passes without one', async () => {
  assertRefused((await run({ 'alice/': '1' }, event(OBJECT, { query: signedUrlQuery(undefined) }))).result, 'revoked at 1970-01-01T00:00:01Z');
  const ev = event(OBJECT, { query: signedUrlQuery(undefined) });
  assertPassedUnchanged(ev, (await run({}, ev)).result);
});

test('a v that is not a plain decimal is version 0', async () => {
  const entries = { 'alice/img_01/': String(FLOOR) };
  for (const v of ['', ' 1796327881', '+1796327881', '1796327881.0', '1.8e9', '0x6b1a2a10', '1796327881abc', '-1', '１７９６３２７８８１', 'Infinity']) {
    assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery(v) }))).result, REASON);
  }
});

test('duplicate v values: the lowest counts', async () => {
  const entries = { 'alice/img_01/': String(FLOOR) };
  assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery([NEWER, OLDER]) }))).result, REASON);
  assertRefused((await run(entries, event(OBJECT, { query: signedUrlQuery(NEWER, { V: OLDER }) }))).result, REASON);
  const ev = event(OBJECT, { query: signedUrlQuery([NEWER, String(FLOOR)]) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('a v without Signature is no credential (it is not what CloudFront checks)', async () => {
  // A cookie request with a stray v: the cookie's version decides.
  const entries = { 'alice/img_01/': String(FLOOR) };
  const ev = event(OBJECT, { query: { v: OLDER }, cookies: policyCookies('alice', FLOOR + 5) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('cookie version is the policy\'s DateGreaterThan + 1, the first second it admits', async () => {
  // The service signs DateGreaterThan = floor - 1, so cookies issued in the second of a
  // revocation are valid at once (CloudFront admits only after DateGreaterThan) and pass.
  const entries = { 'alice/': String(FLOOR) };
  assertRefused((await run(entries, event(OBJECT, { cookies: policyCookies('alice', FLOOR - 2) }))).result, REASON);
  for (const version of [FLOOR - 1, FLOOR, FLOOR + 60]) {
    const ev = event(OBJECT, { cookies: policyCookies('alice', version) });
    assertPassedUnchanged(ev, (await run(entries, ev)).result);
  }
});

test('cookie without DateGreaterThan, or with a malformed one, is version 0', async () => {
  const entries = { 'alice/': String(FLOOR) };
  assertRefused((await run(entries, event(OBJECT, { cookies: policyCookies('alice', undefined) }))).result, REASON);
  for (const bad of [String(FLOOR + 60), FLOOR + 0.5, -1, null, true, [FLOOR + 60], { n: FLOOR + 60 }]) {
    assertRefused((await run(entries, event(OBJECT, { cookies: policyCookies('alice', bad) }))).result, REASON);
  }
});

test('an undecodable cookie policy is version 0', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const good = policyCookies('alice', FLOOR + 60);
  const cases = [
    '!!!not base64!!!',
    cloudfrontBase64('not json'),
    cloudfrontBase64('{"Statement":"nope"}'),
    cloudfrontBase64('{"Statement":[]}'),
    cloudfrontBase64('{}'),
    cloudfrontBase64('null'),
    cloudfrontBase64('[1,2]'),
    good['CloudFront-Policy'].slice(0, 17),
  ];
  for (const policy of cases) {
    const cookies = Object.assign({}, good, { 'CloudFront-Policy': policy });
    assertRefused((await run(entries, event(OBJECT, { cookies }))).result, REASON);
  }
});

test('a policy in standard base64 (+ / =) is not CloudFront\'s alphabet but still decodes the same JSON', async () => {
  // Only `-`, `_` and `~` are translated; a standard-alphabet policy is what atob reads anyway.
  const entries = { 'alice/': String(FLOOR) };
  const policy = JSON.stringify({ Statement: [{ Resource: 'https://media.example.com/alice/*', Condition: { DateLessThan: { 'AWS:EpochTime': 1796500000 }, DateGreaterThan: { 'AWS:EpochTime': FLOOR + 1 } } }] });
  const cookies = Object.assign(policyCookies('alice', 0), { 'CloudFront-Policy': Buffer.from(policy).toString('base64') });
  const ev = event(OBJECT, { cookies });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('several statements: the lowest DateGreaterThan counts', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const policy = JSON.stringify({ Statement: [
    { Resource: 'https://media.example.com/alice/*', Condition: { DateGreaterThan: { 'AWS:EpochTime': FLOOR + 60 } } },
    { Resource: 'https://media.example.com/alice/*', Condition: { DateGreaterThan: { 'AWS:EpochTime': FLOOR - 60 } } },
  ] });
  const cookies = Object.assign(policyCookies('alice', 0), { 'CloudFront-Policy': cloudfrontBase64(policy) });
  assertRefused((await run(entries, event(OBJECT, { cookies }))).result, REASON);
});

test('canned cookie (CloudFront-Expires) is version 0', async () => {
  assertRefused((await run({ 'alice/': String(FLOOR) }, event(OBJECT, { cookies: cannedCookies() }))).result, REASON);
  const ev = event(OBJECT, { cookies: cannedCookies() });
  assertPassedUnchanged(ev, (await run({}, ev)).result);
});

test('min rule: an old cookie plus a forged v and Signature is still refused', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const ev = event(OBJECT, { query: signedUrlQuery(String(FLOOR + 999999)), cookies: policyCookies('alice', FLOOR - 60) });
  assertRefused((await run(entries, ev)).result, REASON);
});

test('min rule: a new URL plus an added old or fake cookie is refused (adding never helps)', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const withOld = event(OBJECT, { query: signedUrlQuery(NEWER), cookies: policyCookies('alice', FLOOR - 60) });
  assertRefused((await run(entries, withOld)).result, REASON);
  const withFake = event(OBJECT, { query: signedUrlQuery(NEWER), cookies: { 'CloudFront-Policy': 'garbage' } });
  assertRefused((await run(entries, withFake)).result, REASON);
  const withCanned = event(OBJECT, { query: signedUrlQuery(NEWER), cookies: Object.assign(policyCookies('alice', FLOOR + 60), { 'CloudFront-Expires': '1796000000' }) });
  assertRefused((await run(entries, withCanned)).result, REASON);
  const twoPolicies = event(OBJECT, { cookies: { 'CloudFront-Policy': [policyCookies('alice', FLOOR + 60)['CloudFront-Policy'], policyCookies('alice', FLOOR - 60)['CloudFront-Policy']] } });
  assertRefused((await run(entries, twoPolicies)).result, REASON);
});

test('both credentials new enough: passes', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const ev = event(OBJECT, { query: signedUrlQuery(NEWER), cookies: policyCookies('alice', FLOOR + 60) });
  assertPassedUnchanged(ev, (await run(entries, ev)).result);
});

test('names in another letter case still count as credentials (never raising the version)', async () => {
  const entries = { 'alice/': String(FLOOR) };
  const lower = { expires: '1796000000', signature: 'c2ln', 'key-pair-id': 'K2JCJMDEHXQW5F', v: NEWER };
  const ev = event(OBJECT, { query: lower, cookies: { 'cloudfront-policy': policyCookies('alice', FLOOR - 60)['CloudFront-Policy'] } });
  assertRefused((await run(entries, ev)).result, REASON);
});

test('no credential at all is version 0 (CloudFront refuses it anyway)', async () => {
  assertRefused((await run({ 'alice/': String(FLOOR) }, event(OBJECT))).result, REASON);
  const ev = event(OBJECT);
  assertPassedUnchanged(ev, (await run({}, ev)).result);
});

test('odd paths are refused before any lookup', async () => {
  const paths = [
    '/%61lice/img_01/photo.jpg', // a percent-encoded spelling of alice
    '/alice/img%5F01/photo.jpg',
    '/alice',
    '/alice/',
    '/',
    '',
    '/a/b', // no file
    '/a/b/', // empty file
    '//x',
    '//img_01/photo.jpg',
    '/alice//photo.jpg',
    '/al ice/img_01/photo.jpg',
    '/alice.bob/img_01/photo.jpg',
    `/${'a'.repeat(65)}/img_01/photo.jpg`,
    '/../alice/img_01/photo.jpg',
    '/alice/../photo.jpg',
  ];
  for (const uri of paths) {
    const { result, store } = await run({}, event(uri, { query: signedUrlQuery(NEWER) }));
    assertRefused(result, 'not a mediagate object path');
    assert.deepEqual(store.calls, [], `${uri}: no lookup`);
  }
});

test('plain ids pass: the leading slash is optional, ids are 1 to 64 of [A-Za-z0-9_-], files may nest', async () => {
  for (const uri of ['/alice/img_01/photo.jpg', 'alice/img_01/photo.jpg', '/A-z_9/-/x', `/${'a'.repeat(64)}/${'B'.repeat(64)}/f`, '/alice/img_01/thumb/256.webp', '/alice/img_01/%2e%2e']) {
    const ev = event(uri, { query: signedUrlQuery(NEWER) });
    assertPassedUnchanged(ev, (await run({}, ev)).result);
  }
});

test('a floor is read with exists() then get(key, {format: "string"})', async () => {
  const { store } = await run({ 'alice/img_01/': String(FLOOR) }, event(OBJECT, { query: signedUrlQuery(NEWER) }));
  assert.deepEqual(plain(store.calls), [['exists', 'alice/'], ['exists', 'alice/img_01/'], ['get', 'alice/img_01/', { format: 'string' }]]);
});

test('a floor deleted between exists() and get() counts as no floor', async () => {
  // The sender deletes a floor once every link it outlaws has expired; a request may meet the
  // deletion halfway. get() then throws as for any missing key, and exists() says it is gone.
  const entries = { 'alice/': String(FLOOR) };
  const store = fakeStore(entries);
  const exists = store.handle.exists;
  store.handle.exists = async (key) => {
    const answer = await exists(key);
    delete entries[key];
    return answer;
  };
  const ev = event(OBJECT, { query: signedUrlQuery(OLDER) });
  assertPassedUnchanged(ev, await load(store)(ev));
  assert.deepEqual(store.calls.map((c) => c.slice(0, 2)), [['exists', 'alice/'], ['get', 'alice/'], ['exists', 'alice/'], ['exists', 'alice/img_01/']]);
});

test('KVS unreadable: refused (fail closed)', async () => {
  const { result } = await run({}, event(OBJECT, { query: signedUrlQuery(NEWER) }), { fail: true });
  assertRefused(result, 'revocation check failed');
});

test('a key that exists but get() fails: refused (fail closed)', async () => {
  const { result } = await run({ 'alice/': String(FLOOR) }, event(OBJECT, { query: signedUrlQuery(NEWER) }), { failGet: true });
  assertRefused(result, 'revocation check failed');
});

test('a value that is not a floor: refused (fail closed)', async () => {
  for (const bad of ['', 'soon', '-1', '1796327880.5', ' 1796327880', '123456789012']) {
    const { result } = await run({ 'alice/img_01/': bad }, event(OBJECT, { query: signedUrlQuery(NEWER) }));
    assertRefused(result, 'revocation check failed');
  }
});

test('the reason is the floor in ISO-8601 UTC, to the second, with Z', async () => {
  for (const [floor, text] of [[1, '1970-01-01T00:00:01Z'], [1796327880, '2026-12-03T19:58:00Z'], [99999999999, '5138-11-16T09:46:39Z']]) {
    const { result } = await run({ 'alice/': String(floor) }, event(OBJECT, { query: signedUrlQuery('0') }));
    assertRefused(result, `revoked at ${text}`);
  }
});

test('HEAD requests are held to the same floors', async () => {
  const entries = { 'alice/': String(FLOOR) };
  assertRefused((await run(entries, event(OBJECT, { method: 'HEAD', query: signedUrlQuery(OLDER) }))).result, REASON);
});
