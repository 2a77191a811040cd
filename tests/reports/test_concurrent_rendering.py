"""PDFs rendered at the same time in one process (gunicorn runs 4 threads per worker) all come out whole.

reportlab's TrueType font reads glyphs for the embedded subset through one file position shared by every
thread using the registered font; two documents finishing together read each other's bytes and fail with
``KeyError``/``IndexError`` in ``makeSubset`` (issue #23: about 1 person file in 300 under load).
"""

from __future__ import annotations

import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.utils import timezone
from reportlab.platypus import Paragraph

from backend.core.actions.accounts import create_token
from backend.core.models import Role
from backend.reports import fonts
from backend.reports.document import Meta, Styles, build
from tests.conftest import make_user
from tests.people import factories

THREADS = 32
# Many distinct characters make many 256-glyph subsets, so the documents spend long enough subsetting at
# the same moment that an unguarded font fails in nearly every round (measured: 10 of 32 per round).
CHARACTERS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 2000))


@pytest.mark.skipif(fonts.font_name() == fonts.FALLBACK, reason="no embeddable CJK font installed")
def test_documents_in_the_report_font_render_from_32_threads_at_once():
    styles = Styles()
    story_text = [CHARACTERS[i : i + 400] for i in range(0, len(CHARACTERS), 400)]
    for _round in range(2):
        start = threading.Barrier(THREADS)

        def render(_, start=start):
            story = [Paragraph(text, styles.body) for text in story_text]
            start.wait()  # every thread reaches the font at the same moment
            return build(Meta("并发测试", "测试单位", "tester", timezone.now()), story)

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(_safely(render), range(THREADS)))
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert failures == []
        assert all(o.startswith(b"%PDF") and o.rstrip().endswith(b"%%EOF") for o in outcomes)


def _safely(fn):
    def call(arg):
        try:
            return fn(arg)
        except Exception as exc:
            return exc

    return call


@pytest.mark.django_db(transaction=True)
def test_32_person_files_requested_at_once_over_http_all_render(tree, live_server, tmp_path: Path):
    officer = make_user("officer_a1", tree.township_a1, Role.TOWNSHIP_OFFICER)
    person = factories.person(officer, tree.township_a1, name="测试并发档案")
    factories.correction(officer, person)
    token = create_token(user=officer, name="测试").plaintext
    url = f"{live_server.url}/api/v1/reports/person/{person.pk}.pdf"
    start = threading.Barrier(THREADS)

    def fetch(_):
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        start.wait()
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(_safely(fetch), range(THREADS)))
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert {status for status, _ in outcomes} == {200}
    assert all(body.startswith(b"%PDF") for _, body in outcomes)
