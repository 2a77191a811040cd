"""The CJK font every report is set in.

A real TrueType font is embedded (subset) so the PDF reads the same on any machine and pdftotext gets the
text back: ``ANBANG_REPORT_FONT`` (setting or environment) first, then the Debian paths the Makefile
installs (fonts-wqy-microhei / fonts-wqy-zenhei).  A ``.ttc`` collection needs the sub-font index: 0 is
the regular face of both WenQuanYi collections.  With no font found, reportlab's built-in Adobe CID font
STSong-Light is used — it is not embedded (the reader's viewer must have it), hence the warning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
FALLBACK = "STSong-Light"
_registered: dict[tuple[str, ...], str] = {}


class SharedTTFont(TTFont):
    """A TrueType font that threads rendering at the same time may share.

    reportlab reads the glyphs of the embedded subset (``makeSubset``, called from ``addObjects`` when a
    document is saved) through one file position kept on the font; two documents saved at the same moment
    read each other's bytes and fail with ``KeyError`` (issue #23: about 1 person file in 300 with
    gunicorn's 4 threads).  Only that step is serialised: the per-document state is already kept apart.
    """

    _subsetting = threading.Lock()

    def addObjects(self, doc) -> None:
        with self._subsetting:
            super().addObjects(doc)


def candidates() -> list[str]:
    configured = settings.REPORT_FONT
    return [configured, *KNOWN_PATHS] if configured else list(KNOWN_PATHS)


def register(paths: Sequence[str]) -> str:
    """Register the first usable font of ``paths`` and return its reportlab name (or the fallback's)."""
    key = tuple(paths)
    if key in _registered:
        return _registered[key]
    for index, path in enumerate(paths):
        if not Path(path).is_file():
            if index == 0 and path not in KNOWN_PATHS:
                log.warning("报表字体 %s 不存在，改用已知路径", path)
            continue
        name = f"AnbangCJK-{Path(path).stem}"
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(SharedTTFont(name, path, subfontIndex=0))
        except (TTFError, OSError) as exc:
            log.warning("报表字体 %s 无法加载（%s），改试下一个", path, exc)
            continue
        _registered[key] = name
        return name
    log.warning(
        "未找到可嵌入的中文 TrueType 字体（已查找：%s），改用内置 %s（不嵌入，阅读器须自带该字体）；"
        "请安装 fonts-wqy-microhei 或设置 ANBANG_REPORT_FONT",
        "、".join(paths),
        FALLBACK,
    )
    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    _registered[key] = FALLBACK
    return FALLBACK


def font_name() -> str:
    """The font reports use, registered on first call."""
    return register(candidates())
