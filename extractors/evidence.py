"""The extract stage: documents -> findings per observation point (placeholder, being built)."""

from __future__ import annotations

from dataclasses import dataclass, field

from consortium_review.catalogue import Catalogue
from consortium_review.models import ConsortiumInfo, Document, NegativeResult, PointResult


@dataclass
class Extraction:
    info: ConsortiumInfo = field(default_factory=ConsortiumInfo)
    points: list[PointResult] = field(default_factory=list)
    negatives: list[NegativeResult] = field(default_factory=list)


def extract(catalogue: Catalogue, documents: list[Document]) -> Extraction:
    return Extraction(
        points=[PointResult(code=p.code, name=p.name, unit=p.unit) for p in catalogue.points],
        negatives=[NegativeResult(code=n.code, name=n.name) for n in catalogue.negative_list],
    )
