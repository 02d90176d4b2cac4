#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Self-check of heldout2: re-reads the generated files (python-docx / openpyxl / pypdfium2) and
verifies every statement and every label:
  * each statement's anchor occurs in its file, on the labelled PDF page (white space removed);
  * the number's surface form occurs inside the anchor and normalises to the labelled value
    (unit conversion: 元->万元, 千/万/亿, Chinese numerals, 百分之);
  * every labelled value / quantity / conflict value / target is backed by a statement at the
    labelled file+page; every code 1.1.1..15.2.4 and 16.1..16.6 is listed; identity strings occur;
  * negative-list anchors occur in their files."""
import json, os, sys
import docx, openpyxl, pypdfium2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_heldout2 import norm, nows, PT, NEG

ROOT = os.path.dirname(os.path.abspath(__file__))


def read(path):
    """returns list of page texts (PDF) or [whole text] (docx/xlsx)."""
    if path.endswith(".pdf"):
        d = pypdfium2.PdfDocument(path)
        return [d[i].get_textpage().get_text_range() for i in range(len(d))]
    if path.endswith(".docx"):
        d = docx.Document(path)
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            for r in t.rows:
                parts.append("".join(c.text for c in r.cells))
        return ["\n".join(parts)]
    wb = openpyxl.load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        for r in ws.iter_rows(values_only=True):
            parts.append("".join("" if c is None else str(c) for c in r))
    return ["\n".join(parts)]


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1, abs(a))


def main():
    errs, n_st, n_num = [], 0, 0
    for lf in sorted(os.listdir(os.path.join(ROOT, "labels"))):
        folder = lf[:-5]
        lab = json.load(open(os.path.join(ROOT, "labels", lf), encoding="utf-8"))
        st = json.load(open(os.path.join(ROOT, "statements", lf), encoding="utf-8"))
        texts = {f: read(os.path.join(ROOT, "input", folder, f)) for f in lab["files"]}
        if sorted(lab["files"]) != sorted(os.listdir(os.path.join(ROOT, "input", folder))):
            errs.append((folder, "files list differs from folder"))
        if set(lab["points"]) != set(PT):
            errs.append((folder, "codes missing"))
        if set(lab["negative_list"]) != set(NEG):
            errs.append((folder, "negative list codes"))
        alltext = nows("".join("".join(v) for v in texts.values()))
        for k, v in lab["consortium"].items():
            if nows(v) not in alltext:
                errs.append((folder, "identity %s not in documents: %s" % (k, v)))

        def page_text(f, page):
            pages = texts[f]
            return nows(pages[page - 1]) if page else nows(pages[0])

        for s in st["statements"]:
            n_st += 1
            pt = page_text(s["file"], s["page"])
            if nows(s["anchor"]) not in pt:
                errs.append((folder, s["code"], "anchor not on page", s["file"], s["page"], s["anchor"]))
            unit = PT[s["code"]]["unit"]
            if s["kind"] == "qty":
                for (v, u), surf in zip(s["qty"], s["surf"]):
                    n_num += 1
                    if nows(surf) not in nows(s["anchor"]) or nows(surf) not in pt:
                        errs.append((folder, s["code"], "surface missing", surf))
                    if not close(norm(surf, u), v):
                        errs.append((folder, s["code"], "value mismatch", surf, v))
            elif s["kind"] in ("val", "target") and s["surf"]:
                n_num += 1
                want = s["value"]
                if nows(s["surf"]) not in nows(s["anchor"]) or nows(s["surf"]) not in pt:
                    errs.append((folder, s["code"], "surface missing", s["surf"]))
                if not close(norm(s["surf"], unit), want):
                    errs.append((folder, s["code"], "value mismatch", s["surf"], want, norm(s["surf"], unit)))
            elif s["kind"] == "val" and isinstance(s["value"], (int, float)) and not isinstance(s["value"], bool):
                print("note: %s %s value %s has no numeral (named items): %s" % (folder, s["code"], s["value"], s["anchor"]))
        # labels backed by statements
        for code, l in lab["points"].items():
            sts = [s for s in st["statements"] if s["code"] == code]
            if not l["present"]:
                if l.get("target_only"):
                    if not any(s["kind"] == "target" and s["value"] == l["target"]["value"] for s in sts):
                        errs.append((folder, code, "target not backed"))
                elif sts:
                    errs.append((folder, code, "absent but has statements"))
                continue
            vals = [s for s in sts if s["kind"] in ("val", "qty")]
            if l.get("conflict"):
                for v in l["values"]:
                    if not any((s["value"] if s["kind"] == "val" else s["qty"]) == v for s in vals):
                        errs.append((folder, code, "conflict value not backed", v))
            elif "value" in l:
                if not any(s["value"] == l["value"] and s["file"] == l["file"] and s["page"] == l["page"] for s in vals):
                    errs.append((folder, code, "value not backed at file/page"))
            elif "quantities" in l:
                q = [[x["value"], x["unit"]] for x in l["quantities"]]
                if not any(s["qty"] == q and s["file"] == l["file"] and s["page"] == l["page"] for s in vals):
                    errs.append((folder, code, "quantities not backed"))
            else:
                if not any(s["file"] == l["file"] and s["page"] == l["page"] for s in sts):
                    errs.append((folder, code, "mention not backed"))
            for src in l.get("sources", []):
                if not any(s["file"] == src["file"] and s["page"] == src["page"] for s in sts):
                    errs.append((folder, code, "source not backed", src))
        for code, n in st["negative"].items():
            if n["anchor"] and nows(n["anchor"]) not in nows("".join(texts[n["file"]])):
                errs.append((folder, code, "negative anchor missing"))
            if bool(n["flag"]) != lab["negative_list"][code]:
                errs.append((folder, code, "negative flag mismatch"))
        print("%-16s statements=%d present=%d target_only=%d conflicts=%d negative_true=%s" % (
            folder, len(st["statements"]), sum(1 for v in lab["points"].values() if v["present"]),
            sum(1 for v in lab["points"].values() if v.get("target_only")),
            sum(1 for v in lab["points"].values() if v.get("conflict")),
            [c for c, v in lab["negative_list"].items() if v]))
    print("checked %d statements, %d numbers; errors: %d" % (n_st, n_num, len(errs)))
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
