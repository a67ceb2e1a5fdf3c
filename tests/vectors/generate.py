#!/usr/bin/env python3
"""Writes tests/vectors/cloudfront-signer.json: AWS's own answers for a fixed set of CloudFront
signing cases, so `cargo test` proves byte-exactness without Python or Node.

Both oracles are asked live: botocore's CloudFrontSigner (in this interpreter: run it with
$MEDIAGATE_ORACLE_PYTHON) and @aws-sdk/cloudfront-signer (node, from
$MEDIAGATE_ORACLE_NODE_MODULES). `--check` writes nothing and exits 1 if the file's cases are no
longer the oracles' answers (tests/it/oracle.rs runs it so). See README.md beside this file.
"""

import datetime
import json
import os
import pathlib
import subprocess
import sys

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "cloudfront-signer.json"
KEY_FILE = "rsa-2048.pem"  # a test key made for this file; it signs nothing real
KEY_PAIR_ID = "KVECTORSRSA2048"
NOW = 1_763_000_000
EXPIRES = 1_767_225_600
NOT_BEFORE = 1_762_999_000
CF = "https://d111111abcdef8.cloudfront.net"

# ECDSA is left out: both node and mediagate (OpenSSL) draw a random nonce, so there is no single
# answer to record, and botocore's signer is RSA-only. tests/it/oracle.rs covers ECDSA live.


def url(id, documents, u, hash="SHA1", expires=EXPIRES):
    return {"id": id, "documents": documents,
            "input": {"kind": "url", "url": u, "hash": hash, "expires": expires, "policy": None}}


def custom(id, documents, u, resource=None, not_before=None, ip=None, hash="SHA1", kind="url"):
    policy = {"resource": resource or u, "not_before": not_before, "ip": ip}
    return {"id": id, "documents": documents,
            "input": {"kind": kind, "url": u, "hash": hash, "expires": EXPIRES, "policy": policy}}


def refused(id, documents, u):
    case = url(id, documents, u)
    case["input"]["kind"] = "refused"
    return case


CASES = [
    url("canned-sha1", "A canned-policy URL, RSA-2048 and SHA-1: the common case.",
        f"{CF}/images/photo.jpg"),
    url("canned-sha256", "The same URL with SHA-256: the signature changes and Hash-Algorithm=SHA256 goes last.",
        f"{CF}/images/photo.jpg", hash="SHA256"),
    url("canned-existing-query", "An existing query string is kept and the signing parameters follow an '&'.",
        f"{CF}/video/clip.mp4?quality=720&lang=en"),
    url("canned-trailing-question-mark", "A lone trailing '?' is kept and followed by '&' (botocore's rule; the JS SDK drops the '?').",
        f"{CF}/a.jpg?"),
    url("canned-percent-encoding", "Percent-escapes (%20, %2B) are signed exactly as given, never decoded.",
        f"{CF}/my%20photos/a%2Bb.jpg"),
    url("canned-unicode-path", "A non-ASCII path travels as percent-encoded UTF-8 and is signed byte for byte.",
        f"{CF}/caf%C3%A9/%E2%9C%93.jpg"),
    url("canned-lowercase-escape", "Lower-case escapes are signed as given (the JS SDK upper-cases them first).",
        f"{CF}/caf%c3%a9.jpg"),
    url("canned-fragment-like", "An encoded '#' (%23) in path and query is an ordinary character of the resource.",
        f"{CF}/a%23b.jpg?t=%2310"),
    url("canned-reserved-query", "Reserved characters in the query ('/', '=', quote, '+') are signed as given.",
        f"{CF}/a.jpg?path=/x/y&eq=a=b&q='z'+1"),
    url("canned-port", "A port in the host is part of the signed resource.",
        "https://media.example.com:8443/u1/a.jpg"),
    url("canned-http-local", "A plain-http local edge with a port and an encoded query value.",
        "http://127.0.0.1:9000/bucket/k.png?response-content-disposition=attachment%3B%20filename%3Da.png"),
    url("canned-max-expiry", "The latest expiry CloudFront takes: 2^31-1 seconds.",
        f"{CF}/a.jpg", expires=2_147_483_647),
    custom("custom-date-less-than", "A custom policy with DateLessThan only, resource equal to the URL.",
           f"{CF}/doc.pdf"),
    custom("custom-date-greater-than", "DateGreaterThan follows DateLessThan in the policy JSON.",
           f"{CF}/doc.pdf", not_before=NOT_BEFORE),
    custom("custom-ip-address", "IpAddress with a CIDR follows DateLessThan.",
           f"{CF}/doc.pdf", ip="198.51.100.0/24"),
    custom("custom-all-conditions", "All three conditions, in botocore's key order: DateLessThan, IpAddress, DateGreaterThan.",
           f"{CF}/doc.pdf?v=2", not_before=NOT_BEFORE, ip="203.0.113.7/32"),
    custom("custom-wildcard-path", "A wildcard resource under a path, applied to one URL it matches.",
           f"{CF}/user42/gallery/b.jpg", resource=f"{CF}/user42/*"),
    custom("custom-wildcard-everything", "The resource '*' matches every URL.",
           "https://media.example.com:8443/any/thing.mp4?x=1", resource="*"),
    custom("custom-wildcard-one-char", "'?' in a resource matches exactly one character.",
           f"{CF}/clip-7.mp4", resource=f"{CF}/clip-?.mp4"),
    custom("custom-sha256", "A custom policy signed with SHA-256.",
           f"{CF}/user42/a.jpg", resource=f"{CF}/user42/*", not_before=NOT_BEFORE, ip="198.51.100.0/24",
           hash="SHA256"),
    custom("cookies-canned-sha1", "Canned-policy signed cookies: CloudFront-Expires, -Signature, -Key-Pair-Id.",
           f"{CF}/images/photo.jpg", kind="cookies-canned"),
    custom("cookies-canned-sha256", "Canned-policy signed cookies with SHA-256 add CloudFront-Hash-Algorithm.",
           f"{CF}/images/photo.jpg", hash="SHA256", kind="cookies-canned"),
    custom("cookies-custom-wildcard", "Custom-policy signed cookies for a whole path: CloudFront-Policy replaces -Expires.",
           f"{CF}/user42/a.jpg", resource=f"{CF}/user42/*", kind="cookies"),
    custom("cookies-custom-sha256", "Custom-policy cookies with every condition, SHA-256.",
           f"{CF}/user42/a.jpg", resource=f"{CF}/user42/*", not_before=NOT_BEFORE, ip="198.51.100.0/24",
           hash="SHA256", kind="cookies"),
    refused("refused-raw-space", "A raw space: botocore signs it, the JS SDK encodes it, mediagate refuses (the client would send %20).",
            f"{CF}/a b.jpg"),
    refused("refused-raw-unicode", "A raw non-ASCII path: mediagate refuses; the client would send percent-encoded UTF-8.",
            f"{CF}/café.jpg"),
    refused("refused-fragment", "A fragment: mediagate refuses, since browsers never send it and CloudFront could never match.",
            f"{CF}/a.mp4#t=10"),
]
for c in CASES:
    if c["input"]["kind"] == "cookies-canned":
        c["input"]["kind"] = "cookies"
        c["input"]["policy"] = None

# The JS SDK, given botocore's policy text for custom policies: its own builder orders the
# conditions differently and takes no wildcard, so only the signing and encoding are compared.
JS = r"""
const sdk = require(require("path").join(process.env.MEDIAGATE_ORACLE_NODE_MODULES, "@aws-sdk/cloudfront-signer"));
const req = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = req.cases.map((c) => {
  const input = { url: c.url, keyPairId: c.key_pair_id, privateKey: req.private_key,
                  dateLessThan: new Date(c.expires * 1000), algorithm: c.hash };
  if (c.policy !== null) input.policy = c.policy;
  try {
    return c.kind === "cookies" ? { cookies: sdk.getSignedCookies(input) } : { url: sdk.getSignedUrl(input) };
  } catch (e) { return { error: `${e.name}: ${e.message}` }; }
});
const pkg = JSON.parse(require("fs").readFileSync(require("path").join(process.env.MEDIAGATE_ORACLE_NODE_MODULES, "@aws-sdk/cloudfront-signer/package.json"), "utf8"));
process.stdout.write(JSON.stringify({ version: pkg.version, results: out }));
"""


def utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)


def botocore_answer(key, case):
    """(signed URL, policy text or None) from botocore; with SHA-256 the rsa_signer hashes with
    SHA-256 and Hash-Algorithm is appended, since botocore has no parameter for it."""
    inp = case["input"]
    alg = hashes.SHA256() if inp["hash"] == "SHA256" else hashes.SHA1()
    signer = CloudFrontSigner(KEY_PAIR_ID, lambda m: key.sign(m, padding.PKCS1v15(), alg))
    p = inp["policy"]
    if p is None:
        signed, policy = signer.generate_presigned_url(inp["url"], date_less_than=utc(inp["expires"])), None
    else:
        policy = signer.build_policy(
            p["resource"], utc(inp["expires"]),
            date_greater_than=None if p["not_before"] is None else utc(p["not_before"]),
            ip_address=p["ip"])
        signed = signer.generate_presigned_url(inp["url"], policy=policy)
    if inp["hash"] == "SHA256":
        signed += "&Hash-Algorithm=SHA256"
    return signed, policy


def split_signed(signed):
    """(base URL, {parameter: value}) of a signed URL: the parameters start at the last
    Expires= or Policy= that follows a '?' or '&'."""
    start = max(signed.rfind(s + n) for s in "?&" for n in ("Expires=", "Policy="))
    params = dict(p.split("=", 1) for p in signed[start + 1:].split("&"))
    return signed[:start], params


def answer(key, case, js):
    inp = case["input"]
    signed, policy = botocore_answer(key, case)
    base, params = split_signed(signed)
    if inp["kind"] == "cookies":
        # botocore has no cookies: its URL's parameters are the cookie values.
        boto = {f"CloudFront-{k}": v for k, v in params.items()}
        # The JS SDK gives CloudFront-Expires as a number: compare the text a cookie carries.
        js_cookies = {k: str(v) for k, v in js.get("cookies", {}).items()}
        expected = {"cookies": dict(sorted(boto.items())), "policy": policy}
        oracles = {"botocore": "agrees (cookie values = its signed URL's parameters)",
                   "aws-sdk-js": "agrees" if js_cookies == boto else {"disagrees": js}}
    else:
        js_url = js.get("url")
        js_split = split_signed(js_url) if js_url else None
        expected = {"url": signed, "policy": policy}
        if js_url == signed:
            verdict = "agrees"
        elif js_split == (base, params):
            verdict = "agrees up to parameter order (Key-Pair-Id before Signature)"
        else:
            verdict = {"disagrees": js}
        oracles = {"botocore": "agrees", "aws-sdk-js": verdict}
    if inp["hash"] == "SHA256":
        oracles["botocore"] += " (rsa_signer over SHA-256; &Hash-Algorithm=SHA256 appended by hand)"
    if inp["kind"] == "refused":
        expected = {"refused": True}
        oracles = {"botocore": {"signs": signed}, "aws-sdk-js": {"signs": js.get("url") or js}}
        follows = "neither: mediagate refuses the URL"
    else:
        follows = "botocore" if oracles["aws-sdk-js"] != "agrees" else "both"
    return {**case, "expected": expected, "oracles": oracles, "mediagate_follows": follows}


def generate():
    pem = (HERE / KEY_FILE).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    js_cases = []
    for c in CASES:
        inp = c["input"]
        policy = botocore_answer(key, c)[1]
        js_cases.append({"kind": inp["kind"], "url": inp["url"], "key_pair_id": KEY_PAIR_ID,
                         "expires": inp["expires"], "hash": inp["hash"], "policy": policy})
    run = subprocess.run(["node", "-e", JS], input=json.dumps({"private_key": pem.decode(), "cases": js_cases}),
                         capture_output=True, text=True, check=True, env=os.environ)
    js = json.loads(run.stdout)
    import botocore

    return {
        "about": "AWS's answers for mediagate's CloudFront signer; regenerate with tests/vectors/generate.py",
        "generated_with": {"botocore": botocore.__version__, "@aws-sdk/cloudfront-signer": js["version"]},
        "key": {"private_key_pem": KEY_FILE, "key_pair_id": KEY_PAIR_ID, "algorithm": "RSA-2048"},
        "now": NOW,
        "cases": [answer(key, c, r) for c, r in zip(CASES, js["results"])],
    }


def main():
    doc = generate()
    if "--check" in sys.argv[1:]:
        on_file = json.loads(OUT.read_text(encoding="utf-8"))
        stale = [c["id"] for c, f in zip(doc["cases"], on_file["cases"]) if c != f]
        if stale or len(doc["cases"]) != len(on_file["cases"]):
            sys.stderr.write(f"generate.py: {OUT.name} is stale ({', '.join(stale) or 'case count'}); "
                             f"rerun tests/vectors/generate.py\n")
            sys.exit(1)
        print(f"{len(doc['cases'])} cases still the oracles' answers")
        return
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(doc['cases'])} cases)")


if __name__ == "__main__":
    main()
