"""An EHR reading through the front door (`hdx fhir serve`) with clients
nobody here wrote: fhirclient (SMART on FHIR's Python client) signs in with a
client assertion PyJWT signs with a cryptography key, then searches and reads
with fhirclient's R4 models; the attacks are plain `requests` calls.

usage:
  ehr.py keygen DIR          writes DIR/ec.pem, DIR/rsa.pem, DIR/clients.json
  ehr.py run BASE PATIENT DIR OUT.json
      signs in (ES384, then RS384), lists documents, reads the granted Binary
      (compared with DIR/record0.bin), is denied record 1 (403), tries every
      bad assertion (each must be 401), waits out a short-lived token
      (401), and writes every resource it was given to OUT.json (a
      collection Bundle, for validate.py). Prints one line per check; exits 1
      on any failure.
  ehr.py revoked BASE PATIENT DIR
      after a revocation: reading record 0 is 403 NoConsent.
"""
import base64
import json
import sys
import time
import uuid

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fhirclient import client
from fhirclient.models.auditevent import AuditEvent
from fhirclient.models.binary import Binary
from fhirclient.models.consent import Consent
from fhirclient.models.documentreference import DocumentReference

SCOPES = "system/DocumentReference.rs system/Binary.r system/Consent.rs system/AuditEvent.rs"
failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures += 1


def b64(n: int, size: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(size, "big")).rstrip(b"=").decode()


def keygen(d):
    eckey = ec.generate_private_key(ec.SECP384R1())
    rsakey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for name, key in (("ec.pem", eckey), ("rsa.pem", rsakey)):
        with open(f"{d}/{name}", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    e = eckey.public_key().public_numbers()
    r = rsakey.public_key().public_numbers()
    jwks = {"keys": [
        {"kty": "EC", "crv": "P-384", "kid": "ehr-ec", "alg": "ES384", "x": b64(e.x, 48), "y": b64(e.y, 48)},
        {"kty": "RSA", "kid": "ehr-rsa", "alg": "RS384", "n": b64(r.n, 256), "e": b64(r.e, 3)},
    ]}
    with open(f"{d}/clients.json", "w") as f:
        json.dump({"clients": [{"client_id": "ehr", "jwks": jwks, "purpose": "TREAT"}]}, f)


def key(d, name):
    with open(f"{d}/{name}", "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def assertion(token_url, signing_key, kid, alg, **claims):
    body = {"iss": "ehr", "sub": "ehr", "aud": token_url, "exp": int(time.time()) + 240, "jti": str(uuid.uuid4())}
    body.update(claims)
    return jwt.encode(body, signing_key, algorithm=alg, headers={"kid": kid})


def signed_in(base, jwt_token):
    """fhirclient, signed in as a backend service with the assertion given."""
    smart = client.FHIRClient(settings={"app_id": "ehr", "api_base": base, "jwt_token": jwt_token, "scope": SCOPES},
                              save_func=lambda state: None)
    smart.wants_patient = False  # a backend service: no launch scope
    smart.prepare()  # the CapabilityStatement names the token endpoint
    smart.authorize()
    return smart


def token_url_of(base):
    return requests.get(f"{base}/.well-known/smart-configuration", timeout=10).json()["token_endpoint"]


def run(base, patient, d, out):
    token_url = token_url_of(base)
    ec_key, rsa_key = key(d, "ec.pem"), key(d, "rsa.pem")
    returned = []

    smart = signed_in(base, assertion(token_url, ec_key, "ehr-ec", "ES384"))
    check("signed in with ES384", smart.server.auth.access_token is not None)
    docs = DocumentReference.where(struct={"patient": patient}).perform(smart.server)
    ids = [e.resource.id for e in (docs.entry or [])]
    check("the documents the consent grants: record 0 only", ids == [f"{patient}.0"], ids)
    returned += [e.resource.as_json() for e in (docs.entry or [])]

    binary = Binary.read(f"{patient}.0", smart.server)
    with open(f"{d}/record0.bin", "rb") as f:
        check("the granted Binary is the upload", base64.b64decode(binary.data) == f.read())
    returned.append(binary.as_json())

    r = smart.server.session.get(f"{base}/Binary/{patient}.1",
                                 headers={"Authorization": f"Bearer {smart.server.auth.access_token}",
                                          "Accept": "application/fhir+json"}, timeout=30)
    outcome = r.json()
    code = outcome.get("issue", [{}])[0].get("details", {}).get("coding", [{}])[0].get("code")
    check("imaging, outside the consent: 403 CategoryNotPermitted", (r.status_code, code) == (403, "CategoryNotPermitted"),
          f"{r.status_code} {outcome}")
    returned.append(outcome)

    for kind in (Consent, AuditEvent):
        found = kind.where(struct={"patient": patient}).perform(smart.server)
        check(f"{kind.resource_type} search answers", found.entry is not None and len(found.entry) >= 1)
        returned += [e.resource.as_json() for e in (found.entry or [])]

    rsa_smart = signed_in(base, assertion(token_url, rsa_key, "ehr-rsa", "RS384"))
    check("signed in with RS384", rsa_smart.server.auth.access_token is not None)

    def token_status(a, scope=SCOPES):
        r = requests.post(token_url, data={"grant_type": "client_credentials", "scope": scope,
                                           "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                           "client_assertion": a}, timeout=10)
        return r.status_code, r.json()

    once = assertion(token_url, ec_key, "ehr-ec", "ES384")
    check("a fresh assertion", token_status(once)[0] == 200)
    bad = {
        "a replayed jti": once,
        "a wrong aud": assertion(token_url, ec_key, "ehr-ec", "ES384", aud=f"{base}/elsewhere"),
        "an expired assertion": assertion(token_url, ec_key, "ehr-ec", "ES384", exp=int(time.time()) - 120),
        "an unsupported algorithm (HS256)": jwt.encode({"iss": "ehr", "sub": "ehr", "aud": token_url,
                                                        "exp": int(time.time()) + 60, "jti": str(uuid.uuid4())},
                                                       "a shared secret of 32 bytes, at least", algorithm="HS256",
                                                       headers={"kid": "ehr-ec"}),
        "an unknown key id": assertion(token_url, ec_key, "ehr-retired", "ES384"),
    }
    for what, a in bad.items():
        status, body = token_status(a)
        check(f"{what}: 401 {body.get('error')}: {body.get('error_description')}", status == 401 and "access_token" not in body,
              f"{status} {body}")

    status, body = token_status(assertion(token_url, ec_key, "ehr-ec", "ES384"), "system/DocumentReference.rs")
    short_token = body.get("access_token")
    check("a token for one scope", status == 200 and body.get("scope") == "system/DocumentReference.rs", body)
    time.sleep(int(body.get("expires_in", 1)) + 1.2)
    r = requests.get(f"{base}/DocumentReference", params={"patient": patient},
                     headers={"Authorization": f"Bearer {short_token}"}, timeout=10)
    check("a token used past its life: 401", r.status_code == 401, r.text)
    returned.append(r.json())

    with open(out, "w") as f:
        json.dump({"resourceType": "Bundle", "type": "collection",
                   "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": x} for x in returned]}, f)


def revoked(base, patient, d):
    smart = signed_in(base, assertion(token_url_of(base), key(d, "ec.pem"), "ehr-ec", "ES384"))
    r = smart.server.session.get(f"{base}/Binary/{patient}.0",
                                 headers={"Authorization": f"Bearer {smart.server.auth.access_token}"}, timeout=30)
    code = r.json().get("issue", [{}])[0].get("details", {}).get("coding", [{}])[0].get("code")
    check("after the revocation: 403 NoConsent", (r.status_code, code) == (403, "NoConsent"), r.text)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "keygen":
        keygen(sys.argv[2])
    elif cmd == "run":
        run(sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "revoked":
        revoked(sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
    print(f"{failures} failures")
    sys.exit(1 if failures else 0)
