#!/usr/bin/env python3
# Keys, a JWKS and signed JWTs made with the openssl command line, for the
# jwtAuth scenarios (tests/e2e/http-auth-jwt.sh) and test_jwt's vectors.
#   jwt_mint.py keys DIR                    RSA 2048, P-256, P-384, Ed25519 keys in DIR
#                                           and DIR/jwks.json (kids rsa, ec256, ec384, ed)
#   jwt_mint.py token DIR ALG KID CLAIMS    a token signed by DIR's key for ALG, header
#                                           {alg, kid}, payload CLAIMS (JSON)
# ALG: RS256 RS384 RS512 PS256 ES256 ES384 EdDSA, or HS256 (signed with the RSA
# public key's PEM as the HMAC secret: the alg-confusion attack) or none.
import base64
import json
import os
import subprocess
import sys


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ossl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, capture_output=True, check=True).stdout


def der_len(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def ecdsa_raw(der, width):
    # SEQUENCE { INTEGER r, INTEGER s } -> r || s, each `width` bytes
    _, i = der_len(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n, i = der_len(der, i + 1)
        v = der[i:i + n].lstrip(b"\0")
        out += v.rjust(width, b"\0")
        i += n
    return out


KEYS = {
    "rsa": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ec256": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ed": ["genpkey", "-algorithm", "ED25519"],
}


def jwk(d, kid):
    pub = ossl("pkey", "-in", os.path.join(d, kid + ".pem"), "-pubout", "-outform", "DER")
    if kid == "rsa":
        mod = ossl("rsa", "-in", os.path.join(d, "rsa.pem"), "-noout", "-modulus").decode()
        n = bytes.fromhex(mod.strip().split("=", 1)[1])
        return {"kty": "RSA", "kid": kid, "n": b64u(n), "e": "AQAB"}
    if kid == "ed":
        return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(pub[-32:])}
    w = 32 if kid == "ec256" else 48
    pt = pub[-(2 * w):]
    return {"kty": "EC", "kid": kid, "crv": "P-256" if w == 32 else "P-384",
            "x": b64u(pt[:w]), "y": b64u(pt[w:])}


def keys(d):
    os.makedirs(d, exist_ok=True)
    for kid, args in KEYS.items():
        with open(os.path.join(d, kid + ".pem"), "wb") as f:
            f.write(ossl(*args))
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk(d, k) for k in KEYS]}, f)


ALGS = {"RS256": ("rsa", "sha256"), "RS384": ("rsa", "sha384"), "RS512": ("rsa", "sha512"),
        "PS256": ("rsa", "sha256"), "ES256": ("ec256", "sha256"), "ES384": ("ec384", "sha384"),
        "EdDSA": ("ed", None)}


def token(d, alg, kid, claims):
    head = {"alg": alg, "typ": "JWT"}
    if kid:
        head["kid"] = kid
    msg = (b64u(json.dumps(head).encode()) + "." + b64u(claims.encode())).encode()
    if alg == "none":
        return msg.decode() + "."
    if alg == "HS256":
        secret = ossl("pkey", "-in", os.path.join(d, "rsa.pem"), "-pubout")
        mac = ossl("dgst", "-sha256", "-mac", "HMAC", "-macopt", "key:" + secret.decode(),
                   "-binary", data=msg)
        return msg.decode() + "." + b64u(mac)
    key, md = ALGS[alg]
    pem = os.path.join(d, key + ".pem")
    if alg == "EdDSA":
        path = os.path.join(d, "msg.bin")
        with open(path, "wb") as f:
            f.write(msg)
        sig = ossl("pkeyutl", "-sign", "-rawin", "-inkey", pem, "-in", path)
    else:
        opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] \
            if alg.startswith("PS") else []
        sig = ossl("dgst", "-" + md, "-sign", pem, *opts, "-binary", data=msg)
        if alg.startswith("ES"):
            sig = ecdsa_raw(sig, 32 if alg == "ES256" else 48)
    return msg.decode() + "." + b64u(sig)


if __name__ == "__main__":
    if sys.argv[1] == "keys":
        keys(sys.argv[2])
    else:
        print(token(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
