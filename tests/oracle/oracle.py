#!/usr/bin/env python3
"""Reference oracle for mediagate's CloudFront signing tests (botocore + cryptography).

Protocol: one JSON object on stdin, {"op": "...", "cases": [...]}, and one JSON object on
stdout, {"results": [...]}, one result per case in the same order. Malformed input (bad JSON,
unknown op, missing or mistyped fields, unreadable key files) exits 2 with a one-line message on
stderr. See tests/oracle/README.md for the ops.
"""

import base64
import datetime
import json
import platform
import sys


class BadInput(Exception):
    """The request itself is malformed: exit non-zero rather than report a result."""


def fail(msg):
    sys.stderr.write("oracle.py: " + " ".join(str(msg).split()) + "\n")
    sys.exit(2)


def field(case, name, types, nullable=False):
    if not isinstance(case, dict):
        raise BadInput(f"case must be an object, got {type(case).__name__}")
    if name not in case:
        if nullable:
            return None
        raise BadInput(f"missing field {name!r}")
    value = case[name]
    if value is None and nullable:
        return None
    # bool is an int subclass: never accept true/false as a number.
    if isinstance(value, bool) and bool not in types:
        raise BadInput(f"field {name!r} must be {'/'.join(t.__name__ for t in types)}, got bool")
    if not isinstance(value, types):
        raise BadInput(
            f"field {name!r} must be {'/'.join(t.__name__ for t in types)}"
            f"{' or null' if nullable else ''}, got {type(value).__name__}"
        )
    return value


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror or e}") from e


def utc(epoch):
    """Timezone-aware UTC datetime, so botocore's datetime2timestamp gives back exactly `epoch`."""
    try:
        return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError) as e:
        raise BadInput(f"epoch {epoch} out of range: {e}") from e


def cf_b64decode(s):
    """Undo CloudFront's base64 alphabet ('+'->'-', '='->'_', '/'->'~') and decode strictly.

    Strict: a character of the standard alphabet that CloudFront's replaces ('+', '/', '=') is an
    error, so a signer that forgot the translation is caught rather than silently accepted.
    """
    bad = sorted(set(s) & set("+/="))
    if bad:
        raise ValueError(f"not CloudFront base64: contains {''.join(bad)!r}")
    std = s.replace("-", "+").replace("_", "=").replace("~", "/")
    return base64.b64decode(std.encode("ascii"), validate=True)


def qualname(e):
    t = type(e)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def hash_alg(name):
    from cryptography.hazmat.primitives import hashes

    algs = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}
    if name not in algs:
        raise BadInput(f"hash must be 'sha1' or 'sha256', got {name!r}")
    return algs[name]()


# ---------------------------------------------------------------------------------------------
# ops


_PRIVATE_KEYS = {}


def load_private_key(pem_path):
    """Loads (once per path) a PEM private key: cryptography validates RSA keys on load, ~50 ms
    each, which would dominate a run of hundreds of cases."""
    from cryptography.hazmat.primitives import serialization

    if pem_path not in _PRIVATE_KEYS:
        try:
            _PRIVATE_KEYS[pem_path] = serialization.load_pem_private_key(read_bytes(pem_path), password=None)
        except (ValueError, TypeError) as e:
            raise BadInput(f"cannot load private key {pem_path}: {e}") from e
    return _PRIVATE_KEYS[pem_path]



def op_botocore_sign(case):
    from botocore.signers import CloudFrontSigner
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    url = field(case, "url", (str,))
    key_pair_id = field(case, "key_pair_id", (str,))
    pem_path = field(case, "private_key_pem", (str,))
    expires = field(case, "expires", (int,))
    policy = field(case, "policy", (dict,), nullable=True)

    key = load_private_key(pem_path)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadInput(f"{pem_path}: botocore's CloudFrontSigner needs an RSA key")

    # The rsa_signer of the boto3 docs' example: RSA PKCS#1 v1.5 over SHA-1.
    def rsa_signer(message):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    signer = CloudFrontSigner(key_pair_id, rsa_signer)
    date_less_than = utc(expires)
    if policy is None:
        return {"url": signer.generate_presigned_url(url, date_less_than=date_less_than), "policy": None}

    resource = field(policy, "resource", (str,))
    not_before = field(policy, "not_before", (int,), nullable=True)
    ip = field(policy, "ip", (str,), nullable=True)
    policy_str = signer.build_policy(
        resource,
        date_less_than,
        date_greater_than=None if not_before is None else utc(not_before),
        ip_address=ip,
    )
    return {"url": signer.generate_presigned_url(url, policy=policy_str), "policy": policy_str}


def op_verify(case):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    message = field(case, "message", (str,))
    signature = field(case, "signature", (str,))
    pem_path = field(case, "public_key_pem", (str,))
    alg = hash_alg(field(case, "hash", (str,)))

    try:
        key = serialization.load_pem_public_key(read_bytes(pem_path))
    except (ValueError, TypeError) as e:
        raise BadInput(f"cannot load public key {pem_path}: {e}") from e
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise BadInput(f"{pem_path}: EC key on {key.curve.name}, only P-256 is supported")
    elif not isinstance(key, rsa.RSAPublicKey):
        raise BadInput(f"{pem_path}: unsupported key type {type(key).__name__}")

    try:
        sig = cf_b64decode(signature)
        data = message.encode("utf-8")
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, data, padding.PKCS1v15(), alg)
        else:
            key.verify(sig, data, ec.ECDSA(alg))  # DER-encoded (r, s)
    except InvalidSignature:
        return {"valid": False, "error": "InvalidSignature"}
    except Exception as e:  # bad base64, malformed DER, ...
        return {"valid": False, "error": f"{qualname(e)}: {e}"}
    return {"valid": True, "error": None}


def op_versions(_cases):
    import botocore
    import cryptography

    return [
        {
            "botocore": botocore.__version__,
            "cryptography": cryptography.__version__,
            "python": platform.python_version(),
        }
    ]


PER_CASE = {"botocore_sign": op_botocore_sign, "verify": op_verify}


def main():
    raw = sys.stdin.buffer.read()
    try:
        req = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        fail(f"stdin is not JSON: {e}")
    if not isinstance(req, dict):
        fail("stdin must be a JSON object")
    op = req.get("op")
    cases = req.get("cases", [])
    if not isinstance(cases, list):
        fail("'cases' must be a list")
    try:
        if op == "versions":
            results = op_versions(cases)
        elif op in PER_CASE:
            results = []
            for i, case in enumerate(cases):
                try:
                    results.append(PER_CASE[op](case))
                except BadInput as e:
                    raise BadInput(f"case {i}: {e}") from e
        else:
            fail(f"unknown op {op!r} (expected botocore_sign, verify or versions)")
    except BadInput as e:
        fail(f"{op}: {e}")
    except Exception as e:  # an oracle bug or a library surprise: still one line, still non-zero
        fail(f"{op}: unexpected {qualname(e)}: {e}")
    # ASCII-only output (non-ASCII as \uXXXX escapes): independent of the locale's encoding.
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
