"""Where a piece of evidence is, in words (shared by assess, progress and the renderers)."""

from __future__ import annotations


def source_of(ev: dict) -> str:
    """Where a piece of evidence is: '2024年度工作总结.pdf 第3页' / '建设方案.docx 第12段'.

    A worksheet named like its workbook is not repeated: '自评表.xlsx 第7行'."""
    file = str(ev.get("file") or "").strip() or "（未注明文件）"
    page = ev.get("page")
    if page not in (None, ""):
        return f"{file} 第{page}页"
    loc = str(ev.get("locator") or "").strip()
    stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if loc.startswith(f"工作表“{stem}”"):
        loc = loc[len(f"工作表“{stem}”"):]
    return f"{file} {loc}" if loc else file
