"""OCR: scanned PDF pages and images (RapidOCR on onnxruntime, models inside the wheel)."""

from __future__ import annotations

import builtins
import re
import struct
import zlib
from pathlib import Path

import pytest

from consortium_review.extractors import ocr
from consortium_review.extractors.read import read_file, read_folder
from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers import image as image_reader
from consortium_review.extractors.readers import pdf as pdf_reader
from consortium_review.settings import ReadSettings, using_read_settings

FIX = Path(__file__).parent / "fixtures"
DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev" / "input"

needs_ocr = pytest.mark.skipif(not ocr.available(), reason="OCR 组件（rapidocr）未安装")


def _text(blocks) -> str:
    return "\n".join(b.text for b in blocks)


# --------------------------------------------------------------------------- grouping (no engine)

def test_boxes_grouped_into_lines_in_reading_order():
    B = ocr.OcrBox
    boxes = [
        B(400, 102, 700, 130, "第二列", 0.99),     # same line as 「第一列」, to its right
        B(100, 100, 300, 128, "第一列", 0.99),
        B(100, 160, 900, 190, "下一行文字", 0.98),
        B(100, 40, 600, 70, "标题", 0.97),
    ]
    lines = ocr.boxes_to_lines(boxes, scale=0.5)
    assert [ln.text for ln in lines] == ["标题", "第一列第二列", "下一行文字"]
    assert lines[1].x0 == pytest.approx(50) and lines[1].x1 == pytest.approx(350)


def test_wide_gap_keeps_columns_apart():
    B = ocr.OcrBox
    lines = ocr.boxes_to_lines([B(100, 100, 200, 130, "项目", 0.9), B(600, 100, 700, 130, "金额", 0.9)])
    assert len(lines) == 1 and lines[0].segs and [s[2] for s in lines[0].segs] == ["项目", "金额"]


def test_render_scale_caps_pixels():
    s = ocr.render_scale(595, 842)   # A4: 130-200 dpi
    assert 130 / 72 <= s <= 200 / 72
    assert 842 * s <= ocr.SETTINGS.max_side + 1
    assert ocr.render_scale(5000, 5000) * 5000 <= ocr.SETTINGS.max_side + 1


# --------------------------------------------------------------------------- images

@needs_ocr
def test_png_chinese_sentence_and_number():
    reading = image_reader.read(FIX / "image" / "scan-cn.png", "scan-cn.png")
    assert reading.ocr and reading.pages == 1
    heads = [b for b in reading.blocks if b.kind == "heading"]
    assert heads and heads[0].text == "鹭江市海洋装备产教联合体理事会会议纪要"
    # the sentence is wrapped in the image (「…企业职工培训」|「量达22,434人日…」)
    hit = [b for b in reading.blocks if "企业职工培训量达22,434人日" in b.text]
    assert len(hit) == 1 and hit[0].page == 1 and hit[0].kind == "paragraph"
    assert "理事单位代表5人出席会议" in hit[0].text
    assert any(b.text == "会议要求各成员单位按照议定事项抓好落实。" for b in reading.blocks)


@needs_ocr
def test_multipage_tiff_gives_pages():
    doc = read_file(FIX / "image" / "two-pages.tif", "two-pages.tif")[0]
    assert doc.status == "ocr" and doc.pages == 2 and doc.format == "image"
    p1 = [b for b in doc.blocks if b.page == 1]
    p2 = [b for b in doc.blocks if b.page == 2]
    assert _text(p1) == "第一页：理事会会议纪要。"
    assert _text(p2) == "第二页：实训工位1273个。"


def _png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG whose header claims w×h pixels (Pillow reads the size without decoding)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00"))
                     + chunk(b"IEND", b""))


def test_decompression_bomb_refused_in_chinese(tmp_path):
    p = tmp_path / "巨图.png"
    _png_header_only(p, 20000, 20000)
    with pytest.raises(ReadError) as err:
        image_reader.read(p, p.name)
    assert "图片" in str(err.value) and "\n" not in str(err.value)


def test_huge_image_refused_before_decoding(tmp_path):
    p = tmp_path / "big.png"
    _png_header_only(p, 9000, 8000)      # 72 M pixels: below Pillow's bomb limit, above ours
    with pytest.raises(ReadError) as err:
        image_reader.read(p, p.name)
    assert "9000×8000" in str(err.value)


def test_broken_image_refused(tmp_path):
    p = tmp_path / "坏图.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    doc = read_file(p, p.name)[0]
    assert doc.status == "error" and re.search(r"[\u4e00-\u9fff]", doc.error)


def test_ink_gray_drops_red_seal_ink_only():
    import numpy as np

    px = np.array([[[255, 255, 255], [0, 0, 0], [215, 35, 40], [6, 1, 1], [30, 40, 160], [240, 150, 150]]], dtype=np.uint8)
    white, black, seal, seal_on_black, blue_pen, seal_edge = ocr.ink_gray(px)[0]
    assert white == 255 and black == 0
    assert seal >= 200 and seal_edge >= 200          # the seal fades to near white
    assert seal_on_black <= 10 and blue_pen <= 60    # text under the seal and other inks stay dark


def _sealed_line(path: Path, text: str) -> None:
    """A colour JPEG of one line of text with a red seal (ring and star) stamped over it."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    sys_path = FIX / "pdf"
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", sys_path / "make_fixtures.py")
    mf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mf)
    page = Image.new("RGB", (1000, 360), (250, 250, 248))
    ImageDraw.Draw(page).text((60, 160), text, fill=(20, 20, 20), font=ImageFont.truetype(str(mf.cjk_font()), 34))
    seal = Image.new("RGB", page.size, (255, 255, 255))
    d = ImageDraw.Draw(seal)
    d.ellipse((380, 30, 680, 330), outline=(215, 35, 40), width=10)
    d.polygon([(530, 120), (555, 175), (615, 180), (570, 215), (585, 275), (530, 240), (475, 275),
               (490, 215), (445, 180), (505, 175)], fill=(215, 35, 40))
    ImageChops.multiply(page, seal).save(path, quality=85)


@needs_ocr
def test_text_under_a_red_seal_is_read(tmp_path):
    path = tmp_path / "盖章.jpg"
    _sealed_line(path, "鹭江海洋装备产教联合体秘书处2025年1月6日")
    reading = image_reader.read(path, path.name)
    assert _text(reading.blocks) == "鹭江海洋装备产教联合体秘书处2025年1月6日"


# --------------------------------------------------------------------------- scanned PDFs

@needs_ocr
def test_image_only_pdf_page_is_ocrd():
    doc = read_file(FIX / "pdf" / "scan-image-only.pdf", "scan.pdf")[0]
    assert doc.status == "ocr"
    assert any("第1页" in w and "OCR" in w for w in doc.warnings)
    assert "企业职工培训量达22,434人日" in _text(doc.blocks)
    assert all(b.page == 1 for b in doc.blocks)


@needs_ocr
def test_garbled_text_layer_is_ocrd():
    path = FIX / "pdf" / "garbled-pua.pdf"
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    raw = doc[0].get_textpage().get_text_range()
    doc.close()
    assert "联合体" not in raw and sum(0xE000 <= ord(c) <= 0xF8FF for c in raw) >= 10   # junk layer
    got = read_file(path, "garbled.pdf")[0]
    assert got.status == "ocr"
    assert any("乱码" in w for w in got.warnings)
    assert "联合体专项经费实际到位3846万元" in _text(got.blocks)


def test_ocr_page_cap():
    with using_read_settings(ReadSettings(max_ocr_pages=0)):
        reading = pdf_reader.read(FIX / "pdf" / "scan-image-only.pdf", "scan.pdf")
    assert not reading.ocr and not reading.blocks
    assert any("超过 OCR 上限（0 页）" in w for w in reading.warnings)


def test_ocr_off_in_the_read_settings(tmp_path):
    """``ReadSettings(ocr=False)``: scans are reported unread, a text PDF still reads."""
    folder = tmp_path / "材料"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes((FIX / "pdf" / "scan-image-only.pdf").read_bytes())
    docs = read_folder(folder, settings=ReadSettings(ocr=False))
    assert docs[0].status == "ok" and not docs[0].blocks
    assert any("超过 OCR 上限（0 页）" in w for w in docs[0].warnings)
    with pytest.raises(ReadError, match="未启用 OCR"):
        with using_read_settings(ReadSettings(ocr=False)):
            ocr.get_engine()


def test_cli_reads_the_page_cap_from_the_environment_once():
    from consortium_review.cli import build_parser, settings_from_args

    args = build_parser().parse_args(["review", "材料"])
    assert settings_from_args(args, {"CR_MAX_OCR_PAGES": "3"}).read.max_ocr_pages == 3
    assert settings_from_args(args, {}).read == ReadSettings()


def test_missing_ocr_component_message(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("rapidocr"):
            raise ImportError("no rapidocr")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert not ocr.available()
    doc = read_file(FIX / "pdf" / "scan-image-only.pdf", "scan.pdf")[0]
    assert doc.status == "error"
    assert doc.error == "扫描件需要 OCR 组件：请运行 pip install rapidocr onnxruntime"


def test_mixed_pdf_without_ocr_keeps_its_text(monkeypatch, tmp_path):
    import pypdfium2 as pdfium

    mixed = pdfium.PdfDocument.new()
    for src in (FIX / "pdf" / "enc-owner-only.pdf", FIX / "pdf" / "scan-image-only.pdf"):
        d = pdfium.PdfDocument(str(src))
        mixed.import_pages(d)
        d.close()
    path = tmp_path / "mixed.pdf"
    mixed.save(str(path))
    mixed.close()
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("rapidocr"):
            raise ImportError("no rapidocr")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    doc = read_file(path, "mixed.pdf")[0]
    assert doc.status == "ok" and doc.pages == 2
    assert "联合体专项经费到位3846万元" in _text(doc.blocks)
    assert any(w.startswith("第2页未能识别") and "pip install rapidocr onnxruntime" in w for w in doc.warnings)


@needs_ocr
def test_engine_is_created_once():
    assert ocr.get_engine() is ocr.get_engine()


@needs_ocr
def test_engine_loaded_once_for_many_documents(monkeypatch):
    """A worker builds the model once and reuses it for every scanned document it reads."""
    made = []
    cls = ocr._Rapid3 if ocr.engine_name() == "rapidocr" else ocr._Rapid1
    real_init = cls.__init__

    def counting_init(self):
        made.append(1)
        real_init(self)

    monkeypatch.setattr(cls, "__init__", counting_init)
    monkeypatch.setattr(ocr, "_engine", None)
    first = read_file(FIX / "image" / "two-pages.tif", "a.tif")[0]
    second = read_file(FIX / "pdf" / "scan-image-only.pdf", "b.pdf")[0]
    assert first.status == second.status == "ocr"
    assert "实训工位1273个" in _text(first.blocks) and "22,434人日" in _text(second.blocks)
    assert made == [1]


def test_models_come_from_the_installed_package_only(monkeypatch):
    """The engine is built from model files inside the wheel; the download path is never taken."""
    if ocr.engine_name() != "rapidocr":
        pytest.skip("rapidocr 3 未安装")
    import numpy as np
    import rapidocr
    from rapidocr.utils import download_file

    models = Path(rapidocr.__file__).parent / "models"
    for task in ("det", "rec", "cls"):
        assert list(models.glob(f"*{task}*.onnx")), task

    def no_download(cls, *args, **kwargs):
        raise AssertionError("a model download was attempted")

    monkeypatch.setattr(download_file.DownloadFile, "run", classmethod(no_download))
    engine = ocr._Rapid3()
    assert engine(np.full((64, 64, 3), 255, dtype=np.uint8)) == []


# --------------------------------------------------------------------------- dev corpus scans

SCANS = {
    "鹭江海洋装备产教联合体/理事会会议纪要.pdf": [
        "鹭江海洋装备产教联合体2024年度理事会会议纪要",
        "理事单位代表5人出席会议",
        "联合体建设情况暂未纳入区域职业教育工作目标考核体系",
        "联合体建设情况已纳入鹭江经济技术开发区年度工作考核指标",
    ],
    "宜宾临港市域产教联合体/专项经费使用情况说明.pdf": [
        "宜宾临港市域产教联合体专项经费使用情况说明",
        "市财政设立市域产教联合体建设专项经费，纳入年度预算管理",
        "日常经费三年投入规划已纳入联合体三年行动计划",
        "专项经费主要用于实训基地建设、课程资源开发和师资培训，支出进度符合预算安排",
    ],
}


@needs_ocr
@pytest.mark.skipif(not DEV.exists(), reason="dev corpus (../shared/corpus/dev) not present")
@pytest.mark.parametrize("rel", sorted(SCANS))
def test_dev_corpus_scans(rel):
    doc = read_file(DEV / rel, rel.split("/")[-1])[0]
    assert doc.status == "ocr" and doc.pages == 1
    text = _text(doc.blocks)
    for phrase in SCANS[rel]:
        assert phrase in text, phrase
    assert all(b.page == 1 for b in doc.blocks)
    assert doc.blocks[0].kind == "heading"
