"""Validates a FHIR Bundle with the fhir.resources package (R4B models: the
package's R4-line models), independently of hdx's own code; then checks what
IHE BALP expects of every AuditEvent (an outcome, a coded purpose of use, the
patient as an entity, the acting agent as requestor) and that every
`urn:uuid:` reference resolves to an entry of the bundle.

usage: validate.py BUNDLE.json
Prints one line per resource and a verdict; exits 1 on any invalid resource.
"""
import json
import sys

from fhir.resources.R4B import get_fhir_model_class


def balp_and_references(bundle) -> int:
    """BALP basics on every AuditEvent, and references that resolve."""
    failures = 0
    urls = {e.get("fullUrl") for e in bundle.get("entry", [])}

    def fail(resource, why):
        nonlocal failures
        failures += 1
        print(f"BALP {resource.get('resourceType')} {resource.get('id')}: {why}")

    def references(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "reference" and isinstance(v, str):
                    yield v
                else:
                    yield from references(v)
        elif isinstance(node, list):
            for v in node:
                yield from references(v)

    for entry in bundle.get("entry", []):
        r = entry.get("resource", {})
        for ref in references(r):
            if ref.startswith("urn:uuid:") and ref not in urls:
                fail(r, f"reference {ref} resolves to no entry of the bundle")
        if r.get("resourceType") != "AuditEvent":
            continue
        if r.get("outcome") not in ("0", "4", "8", "12"):
            fail(r, "no outcome")
        coded = [
            c
            for p in r.get("purposeOfEvent", [])
            for c in p.get("coding", [])
            if c.get("system") and c.get("code")
        ]
        if not coded:
            fail(r, "no coded purpose of use")
        patients = [
            e
            for e in r.get("entity", [])
            if (e.get("role") or {}).get("code") == "1" and e.get("what")
        ]
        if not patients:
            fail(r, "no patient entity")
        acting = [a for a in r.get("agent", []) if a.get("requestor") is True and a.get("who")]
        if not acting:
            fail(r, "no acting agent (requestor)")
    return failures


def main(path: str) -> int:
    with open(path) as f:
        bundle = json.load(f)
    failures = 0
    counts = {}
    # The Bundle as a whole (entries are parsed into their resource models too).
    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except Exception as e:  # pydantic.ValidationError
        failures += 1
        print(f"INVALID Bundle: {e}")
    # Each resource on its own, so a failure names its resource.
    for i, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType", "?")
        try:
            get_fhir_model_class(kind).model_validate(resource)
            counts[kind] = counts.get(kind, 0) + 1
        except Exception as e:
            failures += 1
            print(f"INVALID entry {i} ({kind} {resource.get('id')}): {e}")
    failures += balp_and_references(bundle)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if failures:
        print(f"FHIR R4B validation FAILED: {failures} invalid; valid: {summary}")
        return 1
    print(f"FHIR R4B validation passed: Bundle with {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
