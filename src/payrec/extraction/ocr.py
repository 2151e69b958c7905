"""OCR through the Tesseract binary (Debian package `tesseract-ocr` + language packs).

Models come from the distribution packages; nothing is downloaded at run time. When the
binary is missing, :class:`OcrUnavailable` is raised with a clear message.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess

from PIL import Image

from .layout import Word

# Each extra model costs time (~0.15 s/page each); Polish can be added with
# PAYREC_OCR_LANGS=eng+deu+fra+nld+spa+pol.
DEFAULT_LANGS = ("eng", "deu", "fra", "nld", "spa")
OCR_DPI = 300
TIMEOUT_S = 120


class OcrUnavailable(RuntimeError):
    """The OCR engine is not installed."""


def tesseract_path() -> str | None:
    return os.environ.get("PAYREC_TESSERACT") or shutil.which("tesseract")


@functools.cache
def available_languages(binary: str) -> tuple[str, ...]:
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(ln.strip() for ln in out.splitlines()[1:] if ln.strip())


def _langs(binary: str) -> str:
    wanted = os.environ.get("PAYREC_OCR_LANGS", "+".join(DEFAULT_LANGS)).split("+")
    have = set(available_languages(binary))
    chosen = [lang for lang in wanted if lang in have]
    return "+".join(chosen) if chosen else "eng"


def ocr_available() -> bool:
    binary = tesseract_path()
    return binary is not None and bool(available_languages(binary))


def ocr_image(image: Image.Image, page_no: int = 0, dpi: float = OCR_DPI) -> list[Word]:
    """OCR one image; returns words in points (72/inch) assuming the image was made at `dpi`."""
    binary = tesseract_path()
    if binary is None:
        raise OcrUnavailable(
            "OCR engine not installed: install the 'tesseract-ocr' package "
            "(and tesseract-ocr-deu/-fra/-nld/-spa/-pol language packs)"
        )
    img = image.convert("L")
    buf = io.BytesIO()
    img.save(buf, format="PPM")  # uncompressed PGM: much faster to hand over than PNG
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(
            # tessedit_do_invert=0: skip the white-on-black retry of every line (~25 % faster)
            [binary, "stdin", "stdout", "-l", _langs(binary), "--psm", "3",
             "--dpi", str(int(dpi)), "-c", "tessedit_do_invert=0", "tsv"],
            input=buf.getvalue(), capture_output=True, timeout=TIMEOUT_S, env=env, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OcrUnavailable(f"OCR engine failed to run: {exc}") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(f"OCR engine failed: {msg[-1] if msg else proc.returncode}")
    scale = 72.0 / dpi
    words: list[Word] = []
    reader = csv.DictReader(
        io.StringIO(proc.stdout.decode("utf-8", "replace")), delimiter="\t",
        quoting=csv.QUOTE_NONE,
    )
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            conf = float(row.get("conf") or -1)
            left, top = float(row["left"]), float(row["top"])
            width, height = float(row["width"]), float(row["height"])
        except (KeyError, ValueError):
            continue
        if conf < 10:
            continue
        words.append(
            Word(text, left * scale, (left + width) * scale, top * scale,
                 (top + height) * scale, page_no, max(height * scale * 1.25, 4.0))
        )
    return words
