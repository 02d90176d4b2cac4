"""Catalogue-driven matching: which observation points a sentence or a table label speaks of.

Keywords come from the catalogue (``keywords``: phrases, ``A&B`` = both in one sentence;
``exclude``: phrases that, in the same clause, mean a different point). A hit whose span lies
inside a longer hit of another point is dropped (「实训基地工位」 is not 「实训基地」).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from consortium_review.catalogue import Catalogue, ObservationPoint
from consortium_review.extractors.numbers import COMPATIBLE, WEAK
from consortium_review.settings import EXTRACT, ExtractSettings

_PUNCT = re.compile(r"[\s（）()《》“”\"'‘’、，,。．.：:；;？?！!·\-—/]+")


_CLAUSE_PUNCT = re.compile(r"[，；;。]|,(?!\d{3})")
_SEGMENT_SEP = re.compile(r"[，：:；;、]|,(?!\d{3})|以及|和|及(?!时)|并且|同时")


def exclusion_scope(sentence: str, hit: "Hit") -> str:
    """The text an exclude word must sit in to veto a hit: the segment (between commas and
    conjunctions) around the hit's anchor, so that 「纳入园区考核和职业教育考核体系」 can speak of
    both points while 「实训基地工位」 still vetoes 「实训基地」."""
    lo, hi = 0, len(sentence)
    a = max(hit.start, hit.anchor - 1)
    if _CLAUSE_PUNCT.search(sentence, hit.start, hit.end):
        # a statement spread over two clauses: every word of both can veto it
        for m in _SEGMENT_SEP.finditer(sentence):
            if m.end() <= hit.start:
                lo = m.end()
            elif m.start() >= hit.end:
                hi = m.start()
                break
        return sentence[lo:hi]
    for m in _SEGMENT_SEP.finditer(sentence):
        if m.end() <= min(hit.start, a) or (m.end() <= a and m.start() >= hit.start and "&" in hit.keyword):
            lo = max(lo, m.end())
        elif m.start() >= a:
            hi = m.start()
            break
    if "&" not in hit.keyword:
        lo = min(lo, hit.start)
    return sentence[lo:hi]


@dataclass(frozen=True)
class Hit:
    code: str
    start: int          # span of the matched phrase(s) in the sentence
    end: int
    anchor: int         # where figures are expected to follow (end of the last part)
    keyword: str
    anchor_len: int = 0               # length of the part ending at ``anchor`` (specificity)
    part_ends: tuple[int, ...] = ()   # ends of the other non-unit parts of an 「A&B」 hit


def _norm(s: str) -> str:
    return _PUNCT.sub("", s)


class Matcher:
    """Finds keyword hits of every observation point in a sentence."""

    def __init__(self, catalogue: Catalogue, settings: ExtractSettings = EXTRACT):
        self.settings = settings
        self.points = {p.code: p for p in catalogue.points}
        self.rules: list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]] = []
        self.synonyms = [tuple(g) for g in getattr(catalogue, "synonyms", [])]
        for p in catalogue.points:
            kws: list[tuple[str, ...]] = []
            for kw in p.keywords:
                parts = tuple(part.strip() for part in kw.split("&") if part.strip())
                for variant in expand_synonyms(parts, self.synonyms, settings.synonym_variants,
                                               settings.synonym_variants_per_part):
                    for v in (variant, *infixed(variant, settings.compound_infixes)):
                        if v not in kws:
                            kws.append(v)
            self.rules.append((p.code, tuple(kws), tuple(p.exclude)))
        # index every keyword part by its first two characters: a sentence only needs checking
        # against the parts whose leading bigram it contains (a cheap Aho-Corasick stand-in)
        self._by_bigram: dict[str, set[str]] = {}
        self._keywords_of: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {}
        for code, kws, excl in self.rules:
            for parts in kws:
                for part in parts:
                    self._by_bigram.setdefault(part[:2], set()).add(part)
                self._keywords_of.setdefault(parts[0], []).append((code, parts, excl))

    def present_parts(self, sentence: str) -> set[str]:
        grams = {sentence[i:i + 2] for i in range(len(sentence) - 1)} | set(sentence)
        found: set[str] = set()
        for g in grams:
            for part in self._by_bigram.get(g, ()):
                if part in sentence:
                    found.add(part)
        return found

    def hits(self, sentence: str) -> list[Hit]:
        out: list[Hit] = []
        present = self.present_parts(sentence)
        if not present:
            return out
        for first in present:
            for code, parts, excl in self._keywords_of.get(first, ()):
                if not all(part in present for part in parts):
                    continue
                for hit in self._occurrences(code, parts, sentence):
                    if excl:
                        scope = exclusion_scope(sentence, hit)
                        if any(x in scope for x in excl):
                            continue
                    out.append(hit)
        out = _drop_borrowed(sentence, _prune(out))
        # a fixed order: ties between hits must not depend on set iteration (PYTHONHASHSEED)
        return sorted(out, key=lambda h: (h.start, h.end, h.code, h.keyword))

    def _occurrences(self, code: str, parts: tuple[str, ...], sentence: str) -> list[Hit]:
        if len(parts) == 1:
            kw = parts[0]
            res, i = [], sentence.find(kw)
            while i >= 0:
                res.append(Hit(code, i, i + len(kw), i + len(kw), kw, len(kw)))
                i = sentence.find(kw, i + 1)
            return res
        # all parts: the tightest window holding one occurrence of each part;
        # figures follow the last non-unit part
        occ = {p: [m.start() for m in re.finditer(re.escape(p), sentence)] for p in parts}
        windows = set()
        for i0 in occ[parts[0]]:
            positions = tuple([(i0, parts[0])] + [(min(occ[p], key=lambda i: abs(i - i0)), p) for p in parts[1:]])
            windows.add(positions)
        out = []
        for positions in windows:
            start = min(i for i, _ in positions)
            end = max(i + len(p) for i, p in positions)
            seps = list(_CLAUSE_PUNCT.finditer(sentence, start, end))
            if end - start > self.settings.keyword_window or (len(seps) > 1 and not _measure_run(sentence, seps)):
                continue                # parts too far apart to be one statement
            if seps and re.match(r"\s*其中", sentence[seps[0].end():]):
                continue                # 「其中…」 opens a statement about a part, not the subject
            words = [(i, p) for i, p in positions if p not in UNIT_WORDS] or list(positions)
            anchor, anchor_len = max((i + len(p), len(p)) for i, p in words)
            ends = tuple(sorted({i + len(p) for i, p in words} - {anchor}))
            out.append(Hit(code, start, end, anchor, "&".join(parts), anchor_len, ends))
        return out


#: A short clause that only gives a figure: 「下沉专业6个」「工位1,520个」
_MEASURE_CLAUSE = re.compile(r"[^，,；;。]{0,10}?\d[\d,，.]*\s*[\u4e00-\u9fff%％]{0,3}")


def _measure_run(sentence: str, seps: list) -> bool:
    """Parts of a keyword more than one clause apart still make one statement when every clause
    between them only gives a figure (「开设县域办学点，下沉专业6个，在校生1,450人」)."""
    return all(_MEASURE_CLAUSE.fullmatch(sentence[a.end():b.start()].strip()) for a, b in zip(seps, seps[1:]))


def _drop_borrowed(sentence: str, hits: list[Hit]) -> list[Hit]:
    """A hit reaching over figure-only clauses (see :func:`_measure_run`) yields to a hit of
    another point standing whole in its last clause: in 「注册用户1.35万人，开展就业指导6,200人次，
    书记校长访企拓岗企业63家」 the 63 belongs to 访企拓岗, not to 「平台…注册…企业」."""
    out = []
    for h in hits:
        seps = list(_CLAUSE_PUNCT.finditer(sentence, h.start, h.end))
        if len(seps) > 1:
            lo = seps[-1].end()
            m = _CLAUSE_PUNCT.search(sentence, h.end)
            hi = m.start() if m else len(sentence)
            if any(o.code != h.code and o.start >= lo and o.end <= hi for o in hits):
                continue
        out.append(h)
    return out


UNIT_WORDS = {"万元", "元", "亿元", "个", "门", "本", "项", "次", "份", "人", "名", "人次", "人月", "人日", "课时",
              "小时", "%", "％", "家", "件", "篇", "期", "场"}


_CJK4 = re.compile(r"[\u4e00-\u9fff]{4}")


def infixed(parts: tuple[str, ...], infixes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Spellings of a keyword with one modifier inside one 2+2-character part
    (日常经费 → 日常运行经费); a part that already holds the modifier is left alone."""
    out: list[tuple[str, ...]] = []
    for i, part in enumerate(parts):
        if not _CJK4.fullmatch(part):
            continue
        for word in infixes:
            if word not in part:
                out.append(parts[:i] + (part[:2] + word + part[2:],) + parts[i + 1:])
    return out


def expand_synonyms(parts: tuple[str, ...], groups: list[tuple[str, ...]], limit: int = EXTRACT.synonym_variants,
                    per_part: int = EXTRACT.synonym_variants_per_part) -> list[tuple[str, ...]]:
    """All spellings of a keyword under the catalogue's synonym groups (「纳入」=「列入」 …).

    Words are replaced as words, not as strings: the part is segmented with jieba and a synonym
    replaces only a whole word or a run of whole words (「组织召开」 -> 「组织举行」, but 「产业园区」
    never becomes 「产业产业园」). A spelling that repeats what is next to it (「开发区区」) is
    dropped as well. The number of combinations is capped so that a keyword stays cheap to match.
    """
    options: list[list[str]] = []
    for part in parts:
        alts = [part]
        for group in groups:
            for word in group:
                for alt in _replace_word(part, word, group):
                    if alt not in alts:
                        alts.append(alt)
        options.append(alts[:per_part])
    out: list[tuple[str, ...]] = [()]
    for alts in options:
        out = [prev + (a,) for prev in out for a in alts][:limit]
    return out


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    # jieba's dictionary loads once per process (about a second), only when a keyword holds a
    # synonym: deliberately lazy
    import jieba

    jieba.setLogLevel(60)
    return tuple(jieba.lcut(text, HMM=False))


def _replace_word(part: str, word: str, group: tuple[str, ...]) -> list[str]:
    if word not in part:
        return []
    words = _words(part)
    out = []
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            if "".join(words[i:j]) != word:
                continue
            before, after = "".join(words[:i]), "".join(words[j:])
            for other in group:
                if other == word:
                    continue
                alt = before + other + after
                if not _doubled(alt, part):
                    out.append(alt)
    return out


def _doubled(alt: str, original: str) -> bool:
    """「开发区区」「产业产业园」: a run repeated back to back that the original did not have."""
    for n in (1, 2, 3):
        for i in range(len(alt) - 2 * n + 1):
            if alt[i:i + n] == alt[i + n:i + 2 * n] and alt[i:i + 2 * n] not in original:
                return True
    return False


def _prune(hits: list[Hit]) -> list[Hit]:
    """Drop a hit lying inside a longer phrase hit of another point (「实训基地工位」 is not
    「实训基地」); of overlapping hits of one point keep the one figures follow soonest."""
    hits = sorted(set(hits), key=lambda h: (h.anchor, h.start))
    phrases = [h for h in hits if "&" not in h.keyword]
    keep: list[Hit] = []
    for h in hits:
        inside = any(o.code != h.code and o.start <= h.start and h.end <= o.end and (o.end - o.start) > (h.end - h.start)
                     for o in phrases)
        if inside:
            continue
        if any(k.code == h.code and k.start == h.start and k.anchor == h.anchor for k in keep):
            continue
        keep.append(h)
    return sorted(keep, key=lambda h: h.start)


# ------------------------------------------------------------------ table labels

_STRIP_NAME = re.compile(r"^(?:是否|有无)|[（(][^）)]*[)）]$|情况$|数$|\d+(?:\.\d+)*")


def _bigrams(s: str) -> set[str]:
    s = _norm(s)
    return {s[i:i + 2] for i in range(len(s) - 1)} if len(s) > 1 else {s}


@lru_cache(maxsize=4096)
def _name_key(name: str) -> frozenset[str]:
    return frozenset(_bigrams(_STRIP_NAME.sub("", name)))


def name_similarity(label: str, point: ObservationPoint) -> float:
    """Dice similarity of character bigrams between a table label and a point name."""
    a = _name_key(label)
    b = _name_key(point.name)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def best_point_for_label(matcher: Matcher, label: str, unit: str | None = None) -> tuple[str | None, float]:
    """The observation point a table row's label names (code, confidence). ``unit`` is the row's
    unit when the table gives one (a unit column, a header 「（人月）」): a label that names no
    point outright may still name one of the few points measured in that unit."""
    key = (id(matcher), label, unit)
    if key not in _LABEL_CACHE:
        if len(_LABEL_CACHE) > 20000:
            _LABEL_CACHE.clear()
        _LABEL_CACHE[key] = _best_point_for_label(matcher, label, unit)
    return _LABEL_CACHE[key]


_LABEL_CACHE: dict[tuple[int, str, str | None], tuple[str | None, float]] = {}


def point_units(point: ObservationPoint) -> list[str]:
    """The catalogue units a numeric point is measured in (two for 「人次、课时」 points)."""
    if point.type == "multi":
        return list(point.units)
    if point.is_numeric and point.unit:
        return [point.unit]
    return []


def unit_fits(point: ObservationPoint, raw_unit: str) -> bool:
    """A figure written in ``raw_unit`` (「家」「人月」) measures ``point`` (strong matches only)."""
    raw_unit = raw_unit.replace("％", "%")
    return any((raw_unit == u or raw_unit in COMPATIBLE.get(u, {})) and (u, raw_unit) not in WEAK
               for u in point_units(point))


#: Words that every other point name carries and that name no thing of their own (and 「的」)
_NAME_FRAME = re.compile(r"市域产教联合体(?:内|的)?|的")


@lru_cache(maxsize=4096)
def _content_key(name: str) -> frozenset[str]:
    return _name_key(_NAME_FRAME.sub("", name))


@lru_cache(maxsize=64)
def _bigram_weights(names: tuple[str, ...]) -> dict[str, float]:
    """IDF of each character bigram over the catalogue's point names: 「企业」 is in many names
    and says little, 「实习」 or 「岗位」 in few and says much."""
    df: dict[str, int] = {}
    for n in names:
        for b in _content_key(n):
            df[b] = df.get(b, 0) + 1
    return {b: math.log(1 + len(names) / k) for b, k in df.items()}


def weighted_similarity(label: str, point: ObservationPoint, weights: dict[str, float]) -> float:
    """Dice similarity of character bigrams, each bigram weighted by its IDF over point names."""
    a, b = _content_key(label), _content_key(point.name)
    if not a or not b:
        return 0.0
    w = lambda s: sum(weights.get(x, math.log(2 + len(weights))) for x in s)  # noqa: E731
    return 2 * w(a & b) / (w(a) + w(b))


def best_point_for_unit(matcher: Matcher, label: str, unit: str) -> tuple[str | None, float]:
    """Among the points measured in ``unit`` only, the one ``label`` names (code, confidence)."""
    settings = matcher.settings
    weights = _bigram_weights(tuple(p.name for p in matcher.points.values()))
    fits = [c for c, p in matcher.points.items() if unit_fits(p, unit)]
    scored = sorted(((weighted_similarity(label, matcher.points[c], weights), c) for c in fits), reverse=True)
    if not scored:
        return None, 0.0
    best, code = scored[0]
    if len(scored) == 1:
        ok = best >= settings.label_unit_sole_similarity
    else:
        ok = best >= settings.label_unit_min_similarity and best - scored[1][0] >= settings.label_unit_min_margin
    return (code, settings.label_unit_score) if ok else (None, 0.0)


def _best_point_for_label(matcher: Matcher, label: str, unit: str | None = None) -> tuple[str | None, float]:
    settings = matcher.settings
    hits = matcher.hits(label)
    codes = {h.code for h in hits}
    scored = sorted(((name_similarity(label, matcher.points[c]), c) for c in matcher.points), reverse=True)
    if len(codes) == 1:
        code = codes.pop()
        return code, settings.label_keyword_score
    if codes:
        # several points named: the one whose name is closest, or the longest keyword
        best = max(codes, key=lambda c: (name_similarity(label, matcher.points[c]),
                                         max(h.end - h.start for h in hits if h.code == c)))
        return best, settings.label_keywords_score
    if scored and scored[0][0] >= settings.label_min_similarity and (
            len(scored) < 2 or scored[0][0] - scored[1][0] >= settings.label_min_margin):
        return scored[0][1], settings.label_name_score
    if unit:
        return best_point_for_unit(matcher, label, unit)
    return None, 0.0
