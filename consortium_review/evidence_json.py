"""Build and check ``evidence.json`` — the contract (../shared/spec/evidence-json.md)."""

from __future__ import annotations

from typing import Any, Iterable

from .catalogue import Catalogue
from .models import ConsortiumInfo, Document, NegativeResult, PointResult

SCHEMA = "consortium-review/evidence/1"
STATUSES = ("found", "partial", "missing", "conflict")


def build(catalogue: Catalogue, info: ConsortiumInfo, documents: Iterable[Document],
          points: Iterable[PointResult], negatives: Iterable[NegativeResult],
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    by_code = {p.code: p for p in points}
    out_points = []
    for op in catalogue.points:          # every point of the catalogue, in catalogue order
        p = by_code.get(op.code) or PointResult(code=op.code, name=op.name, unit=op.unit)
        out_points.append(p.to_json())
    neg_by_code = {n.code: n for n in negatives}
    out_neg = []
    for item in catalogue.negative_list:
        n = neg_by_code.get(item.code) or NegativeResult(code=item.code, name=item.name)
        out_neg.append(n.to_json())
    data = {
        "schema": SCHEMA,
        "standard": catalogue.id,
        "consortium": info.to_json(),
        # read timings stay in run.log: the same materials give the same evidence.json
        "documents": [{k: v for k, v in d.to_dict(with_blocks=False).items() if k != "seconds"}
                      for d in documents],
        "points": out_points,
        "negative_list": out_neg,
    }
    if extra:
        data.update(extra)
    return data


def validate(data: Any, catalogue: Catalogue | None = None) -> list[str]:
    """Problems with an evidence.json structure (empty list = valid)."""
    errs: list[str] = []
    if not isinstance(data, dict):
        return ["top level is not an object"]
    if data.get("schema") != SCHEMA:
        errs.append(f"schema is {data.get('schema')!r}")
    for key in ("standard", "consortium", "documents", "points", "negative_list"):
        if key not in data:
            errs.append(f"missing key {key}")
    cons = data.get("consortium")
    if cons is not None:
        for k in ("name", "park", "lead_school", "lead_enterprise", "roster"):
            if k not in cons:
                errs.append(f"consortium.{k} missing")
    for i, d in enumerate(data.get("documents") or []):
        for k in ("file", "sha256", "format", "pages", "status", "error"):
            if k not in d:
                errs.append(f"documents[{i}].{k} missing")
        if d.get("status") == "error" and not d.get("error"):
            errs.append(f"documents[{i}] has status error without a reason")
    codes = []
    for p in data.get("points") or []:
        code = p.get("code")
        codes.append(code)
        for k in ("name", "status", "value", "unit", "quantities", "threshold", "evidence", "confidence", "note"):
            if k not in p:
                errs.append(f"point {code}: {k} missing")
        if p.get("status") not in STATUSES:
            errs.append(f"point {code}: bad status {p.get('status')!r}")
        if p.get("status") == "missing" and p.get("evidence"):
            errs.append(f"point {code}: missing but has evidence")
        if p.get("status") in ("found", "conflict") and not p.get("evidence"):
            errs.append(f"point {code}: {p.get('status')} without evidence")
        c = p.get("confidence")
        if not isinstance(c, (int, float)) or not 0 <= c <= 1:
            errs.append(f"point {code}: confidence {c!r} not in 0..1")
        for e in p.get("evidence") or []:
            for k in ("file", "page", "locator", "snippet", "value", "unit"):
                if k not in e:
                    errs.append(f"point {code}: evidence.{k} missing")
    if len(set(codes)) != len(codes):
        errs.append("duplicate point codes")
    if catalogue is not None:
        want = [p.code for p in catalogue.points]
        if codes != want:
            errs.append(f"points do not match the catalogue ({len(codes)} vs {len(want)})")
        if [n.get("code") for n in data.get("negative_list") or []] != [n.code for n in catalogue.negative_list]:
            errs.append("negative_list does not match the catalogue")
    for n in data.get("negative_list") or []:
        if not isinstance(n.get("flagged"), bool):
            errs.append(f"negative {n.get('code')}: flagged not a bool")
    return errs
