import cf from 'cloudfront';
const kvs = cf.kvs(); // the one KeyValueStore associated with this function

// mediagate revocation floors at the edge: a CloudFront Function (runtime cloudfront-js-2.0),
// viewer request, on the default cache behaviour. Deny-only: a request it lets through is
// returned unchanged, so CloudFront's own signature check still decides everything else.
//
// A link carries its version inside what was signed: `v` in a signed URL's query, or one more
// than the cookie policy's DateGreaterThan (the first second the cookies admit). The KeyValueStore holds floors (epoch seconds, decimal):
// `{owner}/` for a whole account, `{owner}/{image}/` for one image. A request whose version is
// below a floor that exists is refused. The Rust local edge applies the same rule to the same
// data and answers the same reason text; infra/README.md describes both.
//
// Written to the runtime 2.0 subset AWS documents (no for-of, spread, ?. or ??, no classes, async
// only on top-level functions); infra/functions/test/ checks that, and that this file stays
// under the 10 KB function size limit. CloudFormation inlines a copy (tests keep them equal).
// The import and the kvs() handle come first, as AWS's KeyValueStore helper page asks.

// Owner and image ids, as the service mints them. Anything else in the first two segments
// (a percent-encoded spelling, an empty segment) would name a different KVS key than the
// object S3 serves, so it is refused rather than looked up: no spelling dodges the floor.
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const DECIMAL = /^[0-9]+$/;
// Floors are epoch seconds. Eleven digits reach the year 5138, inside Date's range, so the
// reason's timestamp always has a four-digit year; a longer value is a corrupt entry.
const FLOOR = /^[0-9]{1,11}$/;

function deny(reason) {
  return {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: {
      'x-mediagate-edge-reason': { value: reason },
      'cache-control': { value: 'no-store' },
    },
  };
}

// `revoked at 2026-12-03T19:58:00Z`: seconds precision, as the local edge writes it.
function isoSeconds(epochSeconds) {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

// {owner, image} of `/{owner}/{image}/{file...}`, or null. The leading `/` is optional.
function objectPath(uri) {
  const parts = (uri.charAt(0) === '/' ? uri.substring(1) : uri).split('/');
  if (parts.length < 3 || !ID.test(parts[0]) || !ID.test(parts[1])) {
    return null;
  }
  if (parts.slice(2).join('/') === '') {
    return null;
  }
  return { owner: parts[0], image: parts[1] };
}

// Every value of a query-string or cookie field (duplicates arrive in `multiValue`, whose
// first element repeats `value`).
function valuesOf(field) {
  const out = [field.value];
  if (field.multiValue) {
    field.multiValue.forEach((m) => out.push(m.value));
  }
  return out;
}

// The fields of `fields` whose name is `name`, in any letter case. CloudFront keeps query and
// cookie names as sent; matching loosely can only add credentials, and the minimum below
// makes an added credential never raise the version.
function fieldsNamed(fields, name) {
  const out = [];
  Object.keys(fields || {}).forEach((key) => {
    if (key.toLowerCase() === name) {
      out.push(fields[key]);
    }
  });
  return out;
}

function decimalOrZero(text) {
  return DECIMAL.test(text) ? Number(text) : 0;
}

// The version of a CloudFront-Policy cookie: its statements' DateGreaterThan + 1 (the lowest, if
// several), 0 when absent or when the cookie does not decode. The policy is base64 with
// CloudFront's alphabet (- for +, _ for =, ~ for /); atob() is a documented 2.0 global.
function cookieVersion(encoded) {
  try {
    const policy = JSON.parse(atob(encoded.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/')));
    const statements = policy.Statement;
    if (!Array.isArray(statements) || statements.length === 0) {
      return 0;
    }
    let version = Infinity;
    statements.forEach((s) => {
      const after = s && s.Condition && s.Condition.DateGreaterThan;
      const t = after ? after['AWS:EpochTime'] : undefined;
      version = Math.min(version, Number.isInteger(t) && t >= 0 ? t + 1 : 0);
    });
    return version;
  } catch (e) {
    return 0;
  }
}

// The request's version: the minimum over every credential it carries, so adding a `v`, a
// cookie or a second value never helps. No credential at all counts as 0 (CloudFront refuses
// such a request anyway; here it must not look newer than a floor).
function requestVersion(request) {
  const versions = [];
  const query = request.querystring;
  if (fieldsNamed(query, 'signature').length > 0) {
    const vs = fieldsNamed(query, 'v');
    if (vs.length === 0) {
      versions.push(0);
    }
    vs.forEach((f) => valuesOf(f).forEach((v) => versions.push(decimalOrZero(v))));
  }
  fieldsNamed(request.cookies, 'cloudfront-policy').forEach((f) => {
    valuesOf(f).forEach((p) => versions.push(cookieVersion(p)));
  });
  if (fieldsNamed(request.cookies, 'cloudfront-expires').length > 0) {
    versions.push(0);
  }
  return versions.length === 0 ? 0 : Math.min.apply(null, versions);
}

// The floor stored under `key`, 0 when there is none. exists() first: most requests meet no
// floor, and it answers them in one call without an exception. get() throws for a missing key,
// as AWS documents, but its error for that is not told apart from others, so when it throws,
// exists() decides: gone (a floor deleted between the two calls, once its links have all
// expired) is no floor; anything else (the store unreadable, a present key get() cannot read,
// a value that is not a floor) throws, and the caller refuses the request: fail closed.
async function floorOf(key) {
  if (!(await kvs.exists(key))) {
    return 0;
  }
  let value;
  try {
    value = await kvs.get(key, { format: 'string' });
  } catch (err) {
    if (await kvs.exists(key)) {
      throw err;
    }
    return 0;
  }
  if (typeof value !== 'string' || !FLOOR.test(value)) {
    throw new Error('not a floor');
  }
  return Number(value);
}

async function handler(event) {
  const request = event.request;
  const path = objectPath(request.uri);
  if (path === null) {
    return deny('not a mediagate object path');
  }
  let floor;
  try {
    // Sequential awaits: AWS advises against promise combinators here (function memory).
    const ownerFloor = await floorOf(path.owner + '/');
    const imageFloor = await floorOf(path.owner + '/' + path.image + '/');
    floor = Math.max(ownerFloor, imageFloor);
  } catch (err) {
    return deny('revocation check failed');
  }
  if (requestVersion(request) < floor) {
    return deny('revoked at ' + isoSeconds(floor));
  }
  return request;
}
