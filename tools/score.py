#!/usr/bin/env python3
# Copy of ../shared/eval/score.py (the project's scorer) so the accuracy test runs without ../shared;
# tests/test_accuracy.py checks that it is identical to the shared one when ../shared is present.
"""Score consortium-review output (evidence.json) against labelled consortia.

    python3 score.py --labels <labels-dir> --output <output-dir> [--verbose]
                     [--min-f1 X] [--min-value-acc Y]

For every label file <labels-dir>/<name>.json the scorer reads
<output-dir>/<name>/evidence.json (schema: ../spec/evidence-json.md).  A missing or
unreadable evidence.json counts every point as missed.  Standard library only.

Metrics (per consortium and overall; overall = micro-average over all points):
  presence_f1   predicted present = status found|partial|conflict; absent = missing
                or the point not listed.  A labelled-absent point whose documents only
                hold a plan target ("target_only": true) is not counted when the tool
                says `partial` (that is the right answer); `found` there is a false positive.
  value_acc     over labelled present points with a value (`value` or `quantities`,
                conflicts excluded): numbers need the same unit and a relative tolerance
                of 0.5 %, matched against the predicted `value` or any of its `quantities`
                (a label with `quantities` needs every quantity matched); booleans must be
                equal; strings: the label string is contained in the predicted string.
  wrong_value   same denominator: the tool gave a value (or quantities) and it is wrong.
  provenance    over labelled present points: some evidence item names the labelled file
                (basename) - or any file of the label's `sources` - and, where that source
                has a page, the same page.
  conflicts     recall over labelled conflicts: status `conflict` and every labelled value
                appears among the values of the point (value, quantities, evidence[].value).
  negative      accuracy of flagged vs label over 16.1-16.6 (an item not listed is wrong).
  info          name / park / lead_school / lead_enterprise equal after NFKC and removing
                white space.
The last line printed is the summary line; exit status 1 when a --min-* bound fails.
"""
import argparse
import json
import os
import sys
import unicodedata

PRESENT = ("found", "partial", "conflict")
TOL = 0.005
INFO_FIELDS = ("name", "park", "lead_school", "lead_enterprise")


def nstr(s):
    return "".join(unicodedata.normalize("NFKC", str(s)).split())


def nunit(u):
    if u is None:
        return None
    return nstr(u)


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def num_eq(a, b):
    if a == 0:
        return abs(b) < 1e-9
    return abs(a - b) <= TOL * abs(a)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def pred_pool(p):
    """(value, unit) pairs the tool gave for a point (value + quantities)."""
    pool = []
    if p.get("value") is not None:
        pool.append((p.get("value"), p.get("unit")))
    for q in p.get("quantities") or []:
        if isinstance(q, dict) and q.get("value") is not None:
            pool.append((q.get("value"), q.get("unit")))
    return pool


def match_one(exp_v, exp_u, pool):
    for v, u in pool:
        if isinstance(exp_v, bool):
            if isinstance(v, bool) and v == exp_v:
                return True
        elif is_num(exp_v):
            if is_num(v) and nunit(u) == nunit(exp_u) and num_eq(float(exp_v), float(v)):
                return True
        elif isinstance(exp_v, str):
            if isinstance(v, str) and nstr(exp_v) in nstr(v):
                return True
    return False


def expected_values(lab):
    if lab.get("quantities"):
        return [(q["value"], q["unit"]) for q in lab["quantities"]]
    if "value" in lab and lab["value"] is not None:
        return [(lab["value"], lab.get("unit"))]
    return []


def fmt_pred(p):
    if p is None:
        return "absent"
    out = p.get("status", "?")
    if p.get("value") is not None:
        out += " %s%s" % (p.get("value"), p.get("unit") or "")
    if p.get("quantities"):
        out += " " + "+".join("%s%s" % (q.get("value"), q.get("unit") or "") for q in p["quantities"] if isinstance(q, dict))
    ev = p.get("evidence") or []
    if ev:
        out += " @%s p%s" % (os.path.basename(str(ev[0].get("file"))), ev[0].get("page"))
    return out


def fmt_label(lab):
    if not lab.get("present"):
        return "absent" + (" (plan target only)" if lab.get("target_only") else "")
    if lab.get("conflict"):
        return "conflict %s %s" % (lab.get("values"), lab.get("unit"))
    ev = expected_values(lab)
    s = "present" + ("" if not ev else " " + "+".join("%s%s" % (v, u or "") for v, u in ev))
    return s + " @%s p%s" % (lab.get("file"), lab.get("page"))


class Counts(object):
    FIELDS = ("tp", "fp", "fn", "tn", "val_n", "val_ok", "val_wrong", "prov_n", "prov_ok",
              "conf_n", "conf_ok", "neg_n", "neg_ok", "info_n", "info_ok")

    def __init__(self):
        for f in self.FIELDS:
            setattr(self, f, 0)

    def add(self, o):
        for f in self.FIELDS:
            setattr(self, f, getattr(self, f) + getattr(o, f))

    def metrics(self):
        def r(a, b):
            return None if b == 0 else a / float(b)
        prec = r(self.tp, self.tp + self.fp)
        rec = r(self.tp, self.tp + self.fn)
        if prec is None or rec is None:
            f1 = None if (self.tp + self.fp + self.fn) == 0 else 0.0
        else:
            f1 = 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)
        return {
            "presence_precision": prec, "presence_recall": rec, "presence_f1": f1,
            "value_acc": r(self.val_ok, self.val_n), "wrong_value": r(self.val_wrong, self.val_n),
            "provenance": r(self.prov_ok, self.prov_n), "conflicts": r(self.conf_ok, self.conf_n),
            "negative": r(self.neg_ok, self.neg_n), "info": r(self.info_ok, self.info_n),
        }


def score_one(label, ev, problems):
    c = Counts()
    preds = {}
    if isinstance(ev, dict):
        for p in ev.get("points") or []:
            if isinstance(p, dict) and p.get("code"):
                preds[str(p["code"])] = p
    for code, lab in label["points"].items():
        p = preds.get(code)
        status = p.get("status") if p else None
        pred_present = status in PRESENT
        # ---- presence
        if lab.get("present"):
            if pred_present:
                c.tp += 1
            else:
                c.fn += 1
                problems.append(("missed", code, fmt_label(lab), fmt_pred(p)))
        else:
            if pred_present:
                if lab.get("target_only") and status == "partial":
                    pass                      # plan target reported as partial: right
                else:
                    c.fp += 1
                    problems.append(("false-present", code, fmt_label(lab), fmt_pred(p)))
            else:
                c.tn += 1
            continue
        # ---- value
        exp = expected_values(lab)
        if exp and not lab.get("conflict"):
            c.val_n += 1
            pool = pred_pool(p) if pred_present else []
            if pool and all(match_one(v, u, pool) for v, u in exp):
                c.val_ok += 1
            elif pool:
                c.val_wrong += 1
                problems.append(("wrong-value", code, fmt_label(lab), fmt_pred(p)))
            elif pred_present:
                problems.append(("no-value", code, fmt_label(lab), fmt_pred(p)))
        # ---- provenance
        c.prov_n += 1
        sources = lab.get("sources") or [{"file": lab.get("file"), "page": lab.get("page")}]
        ok = False
        for e in (p.get("evidence") or []) if pred_present else []:
            if not isinstance(e, dict) or not e.get("file"):
                continue
            base = os.path.basename(str(e["file"]).replace("\\", "/"))
            for s in sources:
                if s.get("file") and nstr(base) == nstr(os.path.basename(s["file"])):
                    if s.get("page") is None or e.get("page") == s.get("page"):
                        ok = True
        if ok:
            c.prov_ok += 1
        elif pred_present:
            problems.append(("provenance", code, fmt_label(lab), fmt_pred(p)))
        # ---- conflicts
        if lab.get("conflict"):
            c.conf_n += 1
            pool = pred_pool(p) if p else []
            for e in (p.get("evidence") or []) if p else []:
                if isinstance(e, dict) and e.get("value") is not None:
                    pool.append((e.get("value"), e.get("unit") if e.get("unit") is not None else p.get("unit")))
            got = status == "conflict" and all(match_one(v, lab.get("unit"), pool) for v in lab["values"])
            if got:
                c.conf_ok += 1
            else:
                problems.append(("conflict-missed", code, fmt_label(lab), fmt_pred(p)))
    # ---- negative list
    neg_pred = {}
    if isinstance(ev, dict):
        for n in ev.get("negative_list") or []:
            if isinstance(n, dict) and n.get("code"):
                neg_pred[str(n["code"])] = n.get("flagged")
    for code, flagged in sorted(label.get("negative_list", {}).items()):
        c.neg_n += 1
        got = neg_pred.get(code)
        if isinstance(got, bool) and got == flagged:
            c.neg_ok += 1
        else:
            problems.append(("negative-list", code, "flagged" if flagged else "not flagged",
                             "not listed" if got is None else ("flagged" if got else "not flagged")))
    # ---- consortium info
    pinfo = (ev.get("consortium") if isinstance(ev, dict) else None) or {}
    for f in INFO_FIELDS:
        exp = label.get("consortium", {}).get(f)
        if exp is None:
            continue
        c.info_n += 1
        got = pinfo.get(f) if isinstance(pinfo, dict) else None
        if got is not None and nstr(got) == nstr(exp):
            c.info_ok += 1
        else:
            problems.append(("info", f, exp, got))
    return c


def fmt_metric(x):
    if x is None:
        return "n/a"
    s = ("%.3f" % x).rstrip("0")
    return s + "0" if s.endswith(".") else s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", required=True, help="folder with <consortium>.json label files")
    ap.add_argument("--output", required=True, help="folder with <consortium>/evidence.json")
    ap.add_argument("--verbose", action="store_true", help="list every wrong point")
    ap.add_argument("--min-f1", type=float, default=None)
    ap.add_argument("--min-value-acc", type=float, default=None)
    args = ap.parse_args(argv)

    names = sorted(f[:-5] for f in os.listdir(args.labels) if f.endswith(".json"))
    if not names:
        print("no label files in %s" % args.labels, file=sys.stderr)
        return 2
    total = Counts()
    for name in names:
        label = load_json(os.path.join(args.labels, name + ".json"))
        if label is None:
            print("unreadable label file %s.json" % name, file=sys.stderr)
            return 2
        ev_path = os.path.join(args.output, name, "evidence.json")
        ev = load_json(ev_path)
        problems = []
        c = score_one(label, ev, problems)
        total.add(c)
        m = c.metrics()
        note = "" if ev is not None else "  [no evidence.json]"
        print("%s: presence P=%s R=%s F1=%s value_acc=%s wrong_value=%s provenance=%s conflicts=%s "
              "negative=%s info=%s%s" % (
                  name, fmt_metric(m["presence_precision"]), fmt_metric(m["presence_recall"]),
                  fmt_metric(m["presence_f1"]), fmt_metric(m["value_acc"]), fmt_metric(m["wrong_value"]),
                  fmt_metric(m["provenance"]), fmt_metric(m["conflicts"]), fmt_metric(m["negative"]),
                  fmt_metric(m["info"]), note))
        if args.verbose:
            for kind, code, exp, got in problems:
                print("    %-15s %-8s expected: %s | got: %s" % (kind, code, exp, got))
    m = total.metrics()
    print("overall: presence P=%s R=%s over %d consortia" % (
        fmt_metric(m["presence_precision"]), fmt_metric(m["presence_recall"]), len(names)))
    print("presence_f1=%s value_acc=%s wrong_value=%s provenance=%s conflicts=%s negative=%s info=%s" % tuple(
        fmt_metric(m[k]) for k in ("presence_f1", "value_acc", "wrong_value", "provenance", "conflicts",
                                   "negative", "info")))
    fail = False
    if args.min_f1 is not None and (m["presence_f1"] or 0.0) < args.min_f1:
        fail = True
    if args.min_value_acc is not None and (m["value_acc"] or 0.0) < args.min_value_acc:
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
