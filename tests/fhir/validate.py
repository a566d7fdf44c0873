"""Validates FHIR R4 Bundles with an independent parser: fhirclient 4.4.0 (generated from FHIR
4.0.1) in strict mode, which rejects unknown elements, wrong types, missing required elements and
bad dates. Usage: python3 validate.py FILE...; prints one line per file and exits non-zero if
any file fails."""
import json
import sys

from fhirclient.models.bundle import Bundle

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        bundle = Bundle(data, strict=True)
        kinds = sorted({entry.resource.resource_type for entry in bundle.entry or []})
        print(f"ok {path}: {len(bundle.entry or [])} resources ({', '.join(kinds)})")
    except Exception as err:  # noqa: BLE001 - report every kind of failure with its file
        failed += 1
        print(f"FAILED {path}: {err}")
sys.exit(1 if failed else 0)
