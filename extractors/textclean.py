"""Text normalisation shared by all readers."""

from __future__ import annotations

import re

# XML 1.0 forbids these; they also break python-docx/openpyxl when echoed into outputs.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
# a space between two CJK characters/punctuation is an extraction artefact, not content
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}])[ \t\u00a0\u2002\u2003\u3000]+(?=[{_CJK}{_CJK_PUNCT}])")
_MULTISPACE = re.compile(r"[ \t\u00a0\u2002\u2003]{2,}")


def strip_illegal(text: str) -> str:
    """Remove characters that are illegal in XML (keeps \\t \\n \\r)."""
    return _ILLEGAL.sub("", text)


def clean_text(text: str) -> str:
    """Normalise one block's text: legal characters, no spurious spaces inside CJK runs."""
    text = strip_illegal(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _MULTISPACE.sub(" ", text)
    return text.strip()


# C0/C1 controls, DEL, line/paragraph separators, bidi overrides (they reorder what a terminal
# shows), lone surrogates (undecodable file-name bytes)
_UNSAFE_FOR_TERMINAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def neutral(text: object) -> str:
    """``text`` safe for a terminal or one log line: control characters shown escaped
    (``\\n``, ``\\e``, ``\\x07``, ``\\u202e``), so a file name can neither forge log lines nor
    send escape sequences to the terminal."""
    def esc(m: re.Match) -> str:
        c = m.group(0)
        if c in _NAMED:
            return _NAMED[c]
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:          # surrogate-escaped byte of a file name
            return f"\\x{o - 0xDC00:02x}"
        return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"
    return _UNSAFE_FOR_TERMINAL.sub(esc, str(text))
