"""Text of one document, run as a child process with its own limits (see ``sandbox``).

    python -m query_module.text.extract SOURCE OUT_DIR --content-type T --name N ...

Writes ``OUT_DIR/text`` and ``OUT_DIR/lemmas`` and prints one JSON line
``{"state": "done|failed|skipped", "reason": ..., "method": ..., "pages": ..., "chars": ...}``.

Choices (figures in README-PROJECT.md): PDF text layers with pypdfium2 (PDFium, 40x faster
than pdfminer, 4x pypdf); pages without a text layer and images are rendered and read by
Debian's Tesseract (rus+eng); Office (DOCX/XLSX/PPTX/ODT/ODS/ODP), RTF and HTML with
kreuzberg (a Rust extractor); plain text decoded as UTF-8, else as whichever of
Windows-1251 / KOI8-R / CP866 reads as Russian.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

PDF = "pdf"
IMAGE = "image"
PLAIN = "plain"
OFFICE = "office"

_OFFICE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
    "html": "text/html",
    "htm": "text/html",
    "xhtml": "application/xhtml+xml",
}
_IMAGE_EXT = {"png", "jpg", "jpeg", "tif", "tiff", "bmp", "webp", "gif"}
_PLAIN_EXT = {"txt", "text", "csv", "tsv", "md", "log", "json", "xml", "ini", "cfg", "yaml",
              "yml"}
# A PDF page with fewer non-blank characters than this (a page number, say) is a scan.
_MIN_PAGE_CHARS = 10
_OCR_DPI = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Outcome:
    state: str
    reason: str | None = None
    method: str | None = None
    pages: int | None = None
    chars: int = 0


def kind_of(content_type: str, name: str, head: bytes) -> tuple[str | None, str | None]:
    """(kind, MIME type for the extractor) from the bytes first, then type and extension."""
    ext = Path(name).suffix.lower().lstrip(".")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if head.startswith(b"%PDF"):
        return PDF, None
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return IMAGE, None
    if head.startswith(b"{\\rtf"):
        return OFFICE, _OFFICE_TYPES["rtf"]
    if ext == "pdf" or ctype == "application/pdf":
        return PDF, None
    if ext in _OFFICE_TYPES:
        return OFFICE, _OFFICE_TYPES[ext]
    if ctype in _OFFICE_TYPES.values():
        return OFFICE, ctype
    if ctype.startswith("image/") or ext in _IMAGE_EXT:
        return IMAGE, None
    if ctype.startswith("text/") or ext in _PLAIN_EXT or ctype in ("application/json",
                                                                    "application/xml"):
        return PLAIN, None
    return None, None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; otherwise the single-byte Cyrillic
    code page whose reading has the most lower-case Russian letters (a wrong code page turns
    Russian text into capitals or pseudo-graphics), falling back to charset-normalizer."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    sample = data[:200_000]
    if sum(b >= 0x80 for b in sample) == 0:
        return data.decode("ascii", errors="replace")
    best, best_score = None, 0.0
    for encoding in ("cp1251", "koi8_r", "cp866"):
        text = sample.decode(encoding, errors="replace")
        high = [c for c in text if ord(c) >= 0x80]
        score = sum(c in "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" for c in high) / max(len(high), 1)
        if score > best_score:
            best, best_score = encoding, score
    if best is not None and best_score >= 0.6:
        return data.decode(best, errors="replace")
    from charset_normalizer import from_bytes

    match = from_bytes(sample).best()
    return data.decode(match.encoding if match else "latin-1", errors="replace")


def _ocr(image: Path, langs: str) -> str:
    # Tesseract is a grandchild: it inherits this process's memory and CPU limits.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(["tesseract", str(image), "stdout", "-l", langs, "--psm", "3"],
                            capture_output=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"tesseract failed: {result.stderr.decode(errors='replace')[-300:]}")
    return result.stdout.decode("utf-8", errors="replace")


def _pdf(source: Path, langs: str, ocr_max_pages: int) -> tuple[str, Outcome]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(source))
    parts: list[str] = []
    ocred = 0
    skipped_ocr = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(len(doc)):
            page = doc[index]
            text = page.get_textpage().get_text_bounded()
            if len("".join(text.split())) < _MIN_PAGE_CHARS:
                if ocred < ocr_max_pages:
                    image = Path(tmp) / f"page-{index}.png"
                    page.render(scale=_OCR_DPI / 72, grayscale=True).to_pil().save(image)
                    text = _ocr(image, langs)
                    image.unlink()
                    ocred += 1
                else:
                    skipped_ocr += 1
            parts.append(text)
    method = "pdf-text" if not ocred else ("ocr" if ocred == len(doc) else "pdf-text+ocr")
    reason = f"{skipped_ocr} scanned pages beyond the OCR limit" if skipped_ocr else None
    return "\n\n".join(parts), Outcome("done", reason, method, len(doc))


def _image(source: Path, langs: str) -> tuple[str, Outcome]:
    from PIL import Image

    with Image.open(source) as img:
        frames = getattr(img, "n_frames", 1)
        if img.format in ("PNG", "JPEG", "TIFF"):
            return _ocr(source, langs), Outcome("done", None, "ocr", frames)
        with tempfile.TemporaryDirectory() as tmp:  # BMP/WebP/GIF: hand Tesseract a PNG
            png = Path(tmp) / "image.png"
            img.convert("RGB").save(png)
            return _ocr(png, langs), Outcome("done", None, "ocr", 1)


def _office(source: Path, mime: str) -> tuple[str, Outcome]:
    import kreuzberg

    result = kreuzberg.extract_file_sync(str(source), mime_type=mime)
    return result.content, Outcome("done", None, "office")


def extract(source: Path, content_type: str, name: str, *, langs: str = "rus+eng",
            ocr_max_pages: int = 50, max_chars: int = 500_000) -> tuple[str, Outcome]:
    with source.open("rb") as fh:
        head = fh.read(8)
    kind, mime = kind_of(content_type, name, head)
    if kind is None:
        return "", Outcome("skipped", f"no text extraction for {content_type or 'this type'}")
    try:
        if kind == PDF:
            text, outcome = _pdf(source, langs, ocr_max_pages)
        elif kind == IMAGE:
            text, outcome = _image(source, langs)
        elif kind == OFFICE:
            text, outcome = _office(source, mime or "")
        else:
            text, outcome = decode(source.read_bytes()), Outcome("done", None, "plain")
    except MemoryError:
        return "", Outcome("failed", "memory limit exceeded")
    except Exception as exc:  # noqa: BLE001 - any parser error is this file's failure
        return "", Outcome("failed", f"{type(exc).__name__}: {str(exc)[:300]}")
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > 0 else max_chars]
        outcome.reason = f"text truncated to {len(text)} characters"
    if not text and outcome.reason is None:
        outcome.reason = "no text found"
    outcome.chars = len(text)
    return text, outcome


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--content-type", default="")
    parser.add_argument("--name", default="")
    parser.add_argument("--langs", default="rus+eng")
    parser.add_argument("--ocr-max-pages", type=int, default=50)
    parser.add_argument("--max-chars", type=int, default=500_000)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-seconds", type=int, default=120)
    args = parser.parse_args(argv)
    _limit(args.memory_mb, args.cpu_seconds)
    text, outcome = extract(args.source, args.content_type, args.name, langs=args.langs,
                            ocr_max_pages=args.ocr_max_pages, max_chars=args.max_chars)
    from query_module.text.morph import lemma_text

    (args.out_dir / "text").write_text(text, encoding="utf-8")
    (args.out_dir / "lemmas").write_text(lemma_text(text), encoding="utf-8")
    sys.stdout.write(json.dumps(asdict(outcome)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
