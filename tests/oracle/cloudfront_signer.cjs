#!/usr/bin/env node
// Second reference oracle for mediagate's CloudFront signing tests: AWS's JS signer,
// @aws-sdk/cloudfront-signer (version pinned in package.json beside this file).
//
// Run as `node tests/oracle/cloudfront_signer.cjs` with MEDIAGATE_ORACLE_NODE_MODULES set to the
// node_modules directory that holds the package (scripts/test installs it in a cache dir outside
// the repo and exports the variable).
//
// Protocol: one JSON object on stdin, {"op": "...", "cases": [...]}, and one JSON object on
// stdout, {"results": [...]}, one result per case in the same order. Malformed input exits 2
// with a one-line message on stderr. See tests/oracle/README.md for the ops.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const PKG = "@aws-sdk/cloudfront-signer";

class BadInput extends Error {}

function fail(msg) {
  process.stderr.write(`cloudfront_signer.cjs: ${String(msg).split(/\s+/).join(" ")}\n`);
  process.exit(2);
}

function nodeModules() {
  const dir = process.env.MEDIAGATE_ORACLE_NODE_MODULES;
  if (!dir) {
    throw new BadInput("MEDIAGATE_ORACLE_NODE_MODULES is not set (scripts/test sets it)");
  }
  const pkgDir = path.join(path.resolve(dir), ...PKG.split("/"));
  if (!fs.existsSync(path.join(pkgDir, "package.json"))) {
    throw new BadInput(`${PKG} is not installed in ${dir} (run ./scripts/test to install it)`);
  }
  return pkgDir;
}

// Required by absolute path: the node_modules lives in a cache dir outside the repo.
function loadSdk() {
  return require(nodeModules());
}

function typeName(v) {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function field(obj, name, type, nullable = false) {
  if (typeName(obj) !== "object") {
    throw new BadInput(`case must be an object, got ${typeName(obj)}`);
  }
  const v = obj[name];
  if ((v === undefined || v === null) && nullable) {
    return null;
  }
  if (v === undefined) {
    throw new BadInput(`missing field '${name}'`);
  }
  const ok = type === "int" ? Number.isSafeInteger(v) : typeName(v) === type;
  if (!ok) {
    throw new BadInput(`field '${name}' must be ${type}${nullable ? " or null" : ""}, got ${typeName(v)}`);
  }
  return v;
}

// Epoch seconds -> Date. (A bare number would be taken by the SDK as *milliseconds*.)
function epochDate(secs) {
  const d = new Date(secs * 1000);
  if (Number.isNaN(d.getTime())) {
    throw new BadInput(`epoch ${secs} out of range`);
  }
  return d;
}

function opSdkSign(sdk, c) {
  const url = field(c, "url", "string");
  const keyPairId = field(c, "key_pair_id", "string");
  const pemPath = field(c, "private_key_pem", "string");
  const expires = field(c, "expires", "int");
  const policy = field(c, "policy", "object", true);
  // Optional, not in the base protocol: "SHA1" (default) or "SHA256" (adds Hash-Algorithm=SHA256).
  const algorithm = field(c, "algorithm", "string", true);

  let privateKey;
  try {
    privateKey = fs.readFileSync(pemPath, "utf8");
  } catch (e) {
    throw new BadInput(`cannot read ${pemPath}: ${e.message}`);
  }
  const input = { url, keyPairId, privateKey, dateLessThan: epochDate(expires) };
  if (algorithm !== null) {
    input.algorithm = algorithm;
  }
  if (policy !== null) {
    const notBefore = field(policy, "not_before", "int", true);
    const ip = field(policy, "ip", "string", true);
    if (notBefore !== null) {
      input.dateGreaterThan = epochDate(notBefore);
    }
    if (ip !== null) {
      input.ipAddress = ip;
    }
  }
  try {
    return { url: sdk.getSignedUrl(input), error: null };
  } catch (e) {
    // The SDK refused the case (e.g. an IPv6 address): a result, not a malformed request.
    return { url: null, error: `${e.name}: ${e.message}` };
  }
}

function opVersions() {
  const pkgJson = JSON.parse(fs.readFileSync(path.join(nodeModules(), "package.json"), "utf8"));
  return [{ [PKG]: pkgJson.version, node: process.versions.node }];
}

function main() {
  let req;
  try {
    req = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  if (typeName(req) !== "object") {
    fail("stdin must be a JSON object");
  }
  const op = req.op;
  const cases = req.cases === undefined ? [] : req.cases;
  if (!Array.isArray(cases)) {
    fail("'cases' must be a list");
  }
  let results;
  try {
    if (op === "versions") {
      results = opVersions();
    } else if (op === "sdk_sign") {
      const sdk = loadSdk();
      results = cases.map((c, i) => {
        try {
          return opSdkSign(sdk, c);
        } catch (e) {
          if (e instanceof BadInput) {
            throw new BadInput(`case ${i}: ${e.message}`);
          }
          throw e;
        }
      });
    } else {
      fail(`unknown op ${JSON.stringify(op)} (expected sdk_sign or versions)`);
    }
  } catch (e) {
    if (e instanceof BadInput) {
      fail(`${op}: ${e.message}`);
    }
    fail(`${op}: unexpected ${e && e.name}: ${e && e.message}`);
  }
  // Plain JSON.stringify keeps non-ASCII as UTF-8; escape it so the output is pure ASCII.
  const out = JSON.stringify({ results }).replace(
    /[\u007f-\uffff]/g,
    (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"),
  );
  process.stdout.write(out + "\n");
}

main();
