"""Whose document is it: the consortium's own material or reference material (材料性质).

Real folders carry, besides the consortium's own plans and reports, the ministry's notice and
the standard itself, provincial policies, rosters and news about other consortia. Those are
read and listed but are never evidence: a threshold quoted from the standard is not the
consortium's figure, the roster's first entry is not its name, the standard's wording of the
negative list is not a finding.

The decision is made from the content, in two passes:

1. **Catalogue and notice text** (no identity needed): a document that restates the standard
   (many observation-point names or indicator descriptions without answers next to them), a
   roster of consortia, or an official notice (文号, 「各省、自治区…」, 「通知如下」) that does not
   speak of this consortium.
2. **Other organisations**: once the consortium's identity is known from the remaining
   documents, a document that names other consortia and never this one (news compilations,
   other consortia's reports) is reference material.

A user overrides the decision by folder name: files under a folder named 参考材料 / 参考资料 /
参考文件 / reference are reference material, files under 本联合体材料 / 自有材料 / own are own.
A file whose own name begins 背景材料 / 参考资料 / 学习材料 … is reference material too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional

from consortium_review.catalogue import Catalogue
from consortium_review.models import ConsortiumInfo, Document

OWN, REFERENCE = "own", "reference"

#: Folder names by which a user classes files (compared after NFKC, case-insensitive).
REFERENCE_FOLDERS = ("参考材料", "参考资料", "参考文件", "reference", "references")
OWN_FOLDERS = ("本联合体材料", "自有材料", "申报材料", "own")

#: How much of the standard a document must restate to be the standard itself.
MIN_POINT_NAMES = 12          # distinct observation-point names (≥ 8 characters) verbatim
MIN_DESCRIPTIONS = 4          # distinct indicator descriptions (their first 14 characters)
MAX_ANSWERED_SHARE = 0.3      # a self-assessment form answers most of the names it lists
MIN_ROSTER_NAMES = 4          # distinct consortia of the official lists named

_DOC_NUMBER = re.compile(r"[〔\[［【(（]\s*20\d\d\s*[〕\]］】)）]\s*\d{1,4}\s*号")
_NOTICE_OPENING = re.compile(r"各(?:省|市|区|县|有关|计划单列|设区)[^。]{0,40}(?:教育厅|教委|教育局|人民政府|单位|部门)|"
                             r"现(?:就|将)[^。]{0,20}(?:通知如下|印发给你们)|特此通知|请(?:认真)?遵照执行")
_NOTICE_TITLE = re.compile(r"(?:关于|印发)[^。]{2,60}(?:的)?(?:通知|意见|办法|措施|方案|规划|决定)")
_AUTHORITY = re.compile(r"教育部|教育厅|教育局|教委|人民政府|办公厅|发展和改革委员会|发展改革委|人力资源和社会保障|财政厅|财政局|工业和信息化")
_NEWS = re.compile(r"记者|通讯员|来源[:：]|新华社|日报|晚报|新闻网|客户端|讯[（(]|本报讯|编辑[:：]|责任编辑")
_CONSORTIUM_NAME = re.compile(r"([\u4e00-\u9fff（）()·“”\"]{2,30}?(?:市域)?产教联合体)")
_NAME_PREFIX = re.compile(r"^(?:20\d\d年(?:度)?|本|该|全|各|推动|加强|建设|关于|国家|首批|第[一二三四五]批|新设|"
                          r"由|依托|联合|会同|以|在|和|与|及|、|，|组建|牵头|成立|打造|入选|获批|的|了|等)+")
_VERBISH = re.compile(r"安排|设立|支持|推进|推动|加强|深化|参与|组建|纳入|印发|出台|财政|关于|围绕|依托|牵头|成立|开展|"
                      r"服务|对接|实施|落实|统筹|指导|全市|全省|其他|建设|培育|打造|入选|认定|遴选|研究|是否|专业与|"
                      r"确定|评估|申报|加入|组织|命名|公布|发布|名单|批|规范|现有|在建|新设|每个|各地|优秀|典型|监测|考核|建成|要将|地要")
_GENERIC_NAMES = {"产教联合体", "市域产教联合体", "国家市域产教联合体", "省级市域产教联合体", "联合体"}


@dataclass(frozen=True)
class Role:
    role: str                 # own | reference
    reason: str               # one line of Chinese for the user
    by_user: bool = False


def norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s or "").split())


def _text(doc: Document, limit: int = 400_000) -> str:
    out, n = [], 0
    for b in doc.blocks:
        if b.kind in ("header", "footer"):
            continue
        t = b.text if b.kind != "table_row" else " | ".join(c for c in b.cells if c)
        out.append(t)
        n += len(t)
        if n > limit:
            break
    return "\n".join(out)


def user_role(doc: Document) -> Optional[Role]:
    """The role a user gave the file by the folder it sits in."""
    folders = [norm(p).lower() for p in doc.file.split("/")[:-1]]
    for f in folders:
        if f in REFERENCE_FOLDERS:
            return Role(REFERENCE, f"位于「{f}」文件夹，按用户指定作为参考材料", True)
        if f in OWN_FOLDERS:
            return Role(OWN, f"位于「{f}」文件夹，按用户指定作为本联合体材料", True)
    return None


#: A file whose own name says it is background or reading material (「背景材料-…」「参考资料：…」)
_REFERENCE_NAME = re.compile(r"^(?:附件\d*[-_—－：:、\s]*)?(?:背景材料|背景资料|参考材料|参考资料|参考文件|学习材料|学习资料|阅读材料)")


def name_role(doc: Document) -> Optional[Role]:
    """Reference when the file's own name says so (「背景材料-新能源产教融合共同体.pdf」)."""
    stem = norm(doc.file.split("/")[-1])
    m = _REFERENCE_NAME.match(stem)
    if m:
        return Role(REFERENCE, f"文件名标明为「{m.group(0)}」，作为参考材料")
    return None


# ------------------------------------------------------------------ pass 1: the standard, rosters, notices

class _CatalogueText:
    """The catalogue's own wording, normalised once per catalogue."""

    def __init__(self, catalogue: Catalogue):
        self.names = sorted({norm(p.name) for p in catalogue.points if len(norm(p.name)) >= 8})
        descs = set()
        for p in catalogue.points:
            d = norm(p.indicator_description)
            if len(d) >= 14:
                descs.add(d[:14])
        self.descriptions = sorted(descs)
        rn = set()
        for e in catalogue.rosters:
            for n in (e.name, *e.aliases):
                if len(norm(n)) >= 6:
                    rn.add(norm(n))
        self.roster_names = sorted(rn)
        # the catalogue's own sentences, longest first: removed before looking for names, so
        # that 「…确定市域产教联合体…」 in a restated indicator never reads as a consortium's name
        own = {p.indicator_description for p in catalogue.points} | {p.name for p in catalogue.points} | \
              {n.name for n in catalogue.negative_list}
        self.sentences = sorted((t for t in own if len(t) >= 8), key=len, reverse=True)

    def strip(self, raw: str) -> str:
        for t in self.sentences:
            if t in raw:
                raw = raw.replace(t, "。")
        return raw


_CODE = re.compile(r"\d+(?:\.\d+){1,3}|\d{1,3}")
_ANSWER = re.compile(r"\d|^(?:是|否|有|无|已|未|尚未|暂未|完成|达到)")


def _is_answer(cell: str, column: int) -> bool:
    """A cell that answers a point: a figure, 是/否, 已…/未…; not a 序号 or a point code."""
    if not cell:
        return False
    if _CODE.fullmatch(cell) and (column == 0 or "." in cell):
        return False
    return bool(_ANSWER.search(cell))


def _answered_share(doc: Document, names: list[str]) -> float:
    """Of the table rows that carry an observation point's name, the share that also carry an
    answer (a figure, 是/否, 已/未…) in another cell: a self-assessment form answers them."""
    rows = answered = 0
    for b in doc.blocks:
        if b.kind != "table_row" or len(b.cells) < 2:
            continue
        joined = [norm(c) for c in b.cells]
        hit = next((i for i, c in enumerate(joined) if any(n in c for n in names)), None)
        if hit is None:
            continue
        rows += 1
        if any(_is_answer(c, i) for i, c in enumerate(joined) if i != hit):
            answered += 1
    return answered / rows if rows else 0.0


def _home_mentions(raw: str, home: list[str]) -> int:
    return sum(k for n, k in consortium_names(raw).items() if any(same_consortium(n, h) for h in home))


def standard_role(doc: Document, ct: _CatalogueText, home: Optional[list[str]] = None) -> Optional[Role]:
    raw = _text(doc)
    text = norm(raw)
    if not text:
        return None
    # a plan or report of this consortium may follow the standard's structure and restate its
    # indicators: it names the consortium again and again, a notice or the standard does not
    own_voice = bool(home) and _home_mentions(raw, home) >= 3
    names = [n for n in ct.names if n in text]
    descs = [d for d in ct.descriptions if d in text]
    rosters = [r for r in ct.roster_names if r in text]
    head = norm("".join(b.text for b in doc.blocks[:12] if b.kind not in ("header", "footer")))
    # an official document: a 文号, or an issuing authority and a 「关于…的意见/通知」 title in its head
    issued = bool(_DOC_NUMBER.search(head) or (_AUTHORITY.search(head) and _NOTICE_TITLE.search(head)))
    notice = issued and bool(_NOTICE_OPENING.search(text[:3000]) or _NOTICE_TITLE.search(head))
    if (len(names) >= MIN_POINT_NAMES or len(descs) >= MIN_DESCRIPTIONS) and not own_voice:
        share = _answered_share(doc, names) if names else 0.0
        if share <= MAX_ANSWERED_SHARE:
            what = "建设标准" if not notice else "通知及建设标准"
            return Role(REFERENCE, f"内容为{what}原文（含{len(names)}个观测点名称、{len(descs)}条指标说明，未见本联合体填报内容）")
    if len(rosters) >= MIN_ROSTER_NAMES:
        return Role(REFERENCE, f"内容为联合体名单（列出{len(rosters)}个名单内联合体）")
    if notice and _NOTICE_OPENING.search(text[:3000]) and not own_voice:
        why = "有文号和主送单位" if _DOC_NUMBER.search(head) else "有发文机关、文件标题和主送单位"
        return Role(REFERENCE, f"内容为上级政策文件或通知（{why}）", False)
    return None


# ------------------------------------------------------------------ pass 2: other organisations

def consortium_name_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised name) of every consortium a text names (「XX市域产教联合体」)."""
    out = []
    for m in _CONSORTIUM_NAME.finditer(text):
        v = _NAME_PREFIX.sub("", m.group(1)).strip("“”\"")
        if len(v) >= 6 and v not in _GENERIC_NAMES and not _VERBISH.search(v):
            out.append((m.start(1), m.end(1), norm(v)))
    return out


def consortium_names(text: str) -> Counter[str]:
    """Names of consortia a text speaks of (「XX市域产教联合体」), normalised."""
    return Counter(n for _, _, n in consortium_name_spans(text))


_ADMIN = re.compile(r"[市省区县]")


def name_core(name: str) -> str:
    """「苏州市太仓中德智能制造产教联合体（筹）」 -> 「苏州太仓中德智能制造」: no suffix, no
    brackets, no 市/省/区/县 (short and long forms of one name then compare equal or nested)."""
    n = norm(name)
    n = re.sub(r"[（(][^）)]*[)）]", "", n)
    n = re.sub(r"(?:市域)?产教联合体.*$", "", n)
    return _ADMIN.sub("", n)


def _longest_common(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def same_consortium(a: str, b: str) -> bool:
    """Two spellings of one consortium's name (short/long forms, with or without 市)."""
    ca, cb = name_core(a), name_core(b)
    if not ca or not cb:
        return False
    if ca == cb or ca in cb or cb in ca:
        return True
    # otherwise the same place (first two characters) and most of the rest in common:
    # 「东岭高端化工」 and 「滨州高端化工」 are two consortia
    return ca[:2] == cb[:2] and _longest_common(ca, cb) >= max(4, int(0.7 * min(len(ca), len(cb))))


def other_role(doc: Document, home: list[str]) -> Optional[Role]:
    """Reference when the document names other consortia and never this one (``home``: the
    spellings of this consortium's name)."""
    raw = _text(doc)
    text = norm(raw)
    flat = _ADMIN.sub("", text)
    cores = [name_core(h) for h in home if len(name_core(h)) >= 4]
    if any(norm(h) in text for h in home) or any(c in flat for c in cores):
        return None
    names = consortium_names(raw)
    if any(same_consortium(n, h) for n in names for h in home):
        return None
    if names and home:
        shown = "、".join(sorted(names, key=lambda n: -names[n])[:3])
        return Role(REFERENCE, f"讲的是其他联合体（{shown}），未提及本联合体")
    if home and _NEWS.search(raw[:4000]) and re.search(r"联合体|产教融合|职业教育|职业院校", raw):
        return Role(REFERENCE, "新闻报道类材料，未提及本联合体")
    return None


# ------------------------------------------------------------------ entry point

def _add_roster_aliases(catalogue: Catalogue, info: ConsortiumInfo) -> None:
    """Every official spelling of a roster consortium's name counts as its own name."""
    r = info.roster or {}
    entry = next((e for e in catalogue.rosters if e.batch == r.get("batch") and e.index == r.get("index")), None)
    info.aliases = tuple(n for n in ((entry.name, *entry.aliases) if entry else ()) if n != info.name)


def home_names(docs: list[Document], hint: str = "", ct: Optional[_CatalogueText] = None) -> list[str]:
    """The consortium the folder is about, by its names: of all consortium names in the
    documents (grouped by :func:`same_consortium`), the group named by the most documents
    (file names count too); ties go to the more frequent. Independent of the identity stage,
    so a news compilation that names ten consortia cannot outvote the folder's own reports."""
    groups: list[list[str]] = []
    df: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for d in docs:
        raw = _text(d)
        names = consortium_names(ct.strip(raw) if ct else raw) + consortium_names(d.file)
        seen: set[int] = set()
        for n, k in names.items():
            gi = next((i for i, g in enumerate(groups) if any(same_consortium(n, o) for o in g)), None)
            if gi is None:
                groups.append([n])
                gi = len(groups) - 1
            elif n not in groups[gi]:
                groups[gi].append(n)
            total[gi] += k
            seen.add(gi)
        for gi in seen:
            df[gi] += 1
    if not groups:
        return []
    # the folder's own name breaks a tie (one report against one news compilation)
    named = {i for i, g in enumerate(groups) if hint and any(same_consortium(n, hint) for n in g)}
    best = max(range(len(groups)), key=lambda i: (df[i], i in named, total[i]))
    return groups[best]


def classify(catalogue: Catalogue, documents: Iterable[Document], identify, folder_name: str = "") -> ConsortiumInfo:
    """Set ``role``/``role_reason`` on every readable document; return the identity found on
    the consortium's own documents. ``identify(catalogue, docs)`` finds the identity;
    ``folder_name`` (the consortium folder's name) breaks ties between candidate names."""
    docs = [d for d in documents if d.status in ("ok", "ocr")]
    ct = _CatalogueText(catalogue)
    decided: dict[int, Role] = {}
    for d in docs:
        r = user_role(d) or name_role(d)
        if r is not None:
            decided[id(d)] = r
    home = home_names([d for d in docs if id(d) not in decided], folder_name, ct)
    for d in docs:
        if id(d) not in decided:
            r = standard_role(d, ct, home)
            if r is not None:
                decided[id(d)] = r
    candidates = [d for d in docs if id(d) not in decided]
    if any(decided.get(id(d)) and not decided[id(d)].by_user for d in docs):
        home = home_names(candidates, folder_name, ct) or home
    for d in candidates:
        r = other_role(d, home)
        if r is not None:
            decided[id(d)] = r
    own = [d for d in docs if decided.get(id(d), Role(OWN, "")).role == OWN]
    info = identify(catalogue, own) if own else ConsortiumInfo()
    _add_roster_aliases(catalogue, info)
    for d in docs:
        r = decided.get(id(d))
        d.role = r.role if r else OWN
        d.role_reason = r.reason if r else None
    return info
