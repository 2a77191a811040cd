"""The report font: the embedded CJK TrueType font when present, else STSong-Light with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from backend.reports import fonts
from backend.reports.document import Meta, Styles, build, title_block

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@pytest.mark.skipif(not Path(WQY).is_file(), reason="fonts-wqy-microhei missing (make system-packages)")
def test_the_wenquanyi_collection_is_registered_with_its_first_face():
    name = fonts.register([WQY])
    font = pdfmetrics.getFont(name)
    assert name == "AnbangCJK-wqy-microhei"
    assert font.face.name == b"WenQuanYiMicroHei"  # index 1 is the Mono face


def test_a_configured_font_that_is_missing_is_reported_and_the_known_paths_are_tried(caplog, settings):
    settings.REPORT_FONT = "/nonexistent/custom.ttf"
    assert fonts.candidates()[0] == "/nonexistent/custom.ttf"
    with caplog.at_level(logging.WARNING, logger="backend.reports.fonts"):
        fonts.register(["/nonexistent/custom.ttf", *fonts.KNOWN_PATHS])
    assert "/nonexistent/custom.ttf" in caplog.text


def test_without_any_cjk_font_the_builtin_stsong_is_used_with_a_warning(caplog, tmp_path):
    broken = tmp_path / "not-a-font.ttf"
    broken.write_bytes(b"this is not a TrueType file")
    with caplog.at_level(logging.WARNING, logger="backend.reports.fonts"):
        name = fonts.register([str(tmp_path / "missing.ttc"), str(broken)])
    assert name == fonts.FALLBACK == "STSong-Light"
    assert "无法加载" in caplog.text and "改用内置 STSong-Light" in caplog.text


def test_a_document_builds_in_the_fallback_font(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "KNOWN_PATHS", (str(tmp_path / "none.ttc"),))
    monkeypatch.setattr(fonts, "_registered", {})
    assert fonts.font_name() == "STSong-Light"
    from django.utils import timezone

    pdf = build(Meta("测试", "测试单位", "tester", timezone.now()), title_block(Styles(), "标题", "副标题"))
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
