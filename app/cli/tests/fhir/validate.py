"""Validates a FHIR Bundle with the fhir.resources package (R4B models: the
package's R4-line models), independently of hdx's own code.

usage: validate.py BUNDLE.json
Prints one line per resource and a verdict; exits 1 on any invalid resource.
"""
import json
import sys

from fhir.resources.R4B import get_fhir_model_class


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
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if failures:
        print(f"FHIR R4B validation FAILED: {failures} invalid; valid: {summary}")
        return 1
    print(f"FHIR R4B validation passed: Bundle with {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
