"""Evidence uploads: bad files refused clearly, nothing lost, files served only to who may see them."""

import pytest
from sqlalchemy import select

from portal.cases import risk
from portal.cases.models import RefundCase
from portal.evidence import uploads
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from tests.conftest import htmx_headers
from tests.factories import sign_in_customer, sign_in_staff
from tests.samples import (
    HTML_FILE,
    MINIMAL_PDF,
    PHP_AS_JPG,
    SVG_FILE,
    huge_png,
    jpeg,
    noisy_jpeg,
    truncated_jpeg,
)

ITEM = "topup_failure_screenshot"


@pytest.fixture
def at_evidence(journey):
    """The game-card order at step 3, with one good screenshot already uploaded."""
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id)
    assert journey.upload(order_id, ITEM, jpeg(), "good.jpg").status_code == 303
    return order_id


def live_files() -> list[EvidenceFile]:
    return list(db.session.scalars(select(EvidenceFile).where(EvidenceFile.removed_at.is_(None))))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (PHP_AS_JPG, "shell.php.jpg", "This type of file is not accepted"),
        (PHP_AS_JPG, "photo.jpg", "This type of file is not accepted"),
        (HTML_FILE, "page.html", "This type of file is not accepted"),
        (SVG_FILE, "drawing.svg", "This type of file is not accepted"),
        (huge_png(), "bomb.png", "The image has too many pixels"),
        (truncated_jpeg(), "half.jpg", "The file is damaged or incomplete"),
        (b"", "empty.jpg", "The file is empty."),
    ],
    ids=["php-renamed", "php-as-jpg", "html", "svg", "20000x20000", "truncated-jpeg", "empty"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_files_are_refused_and_nothing_is_lost(journey, at_evidence, content, name, message, htmx):
    response = journey.upload(at_evidence, ITEM, content, name, headers=htmx_headers() if htmx else None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert ("<html" in html) is not htmx
    assert "good.jpg" in html  # what was uploaded before is still there
    assert [f.original_name for f in live_files()] == ["good.jpg"]
    if htmx:
        assert f'id="item-{ITEM}-body"' in html


@pytest.mark.config(MAX_FILE_BYTES=20_000, MAX_CONTENT_LENGTH=200_000)
def test_file_over_the_size_limit(journey, at_evidence):
    big = noisy_jpeg((400, 400))
    assert 20_000 < len(big) < 190_000
    response = journey.upload(at_evidence, ITEM, big, "big.jpg")
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert len(live_files()) == 1


@pytest.mark.config(MAX_FILE_BYTES=20_000, MAX_CONTENT_LENGTH=50_000)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_request_over_max_content_length_gets_the_translated_413(journey, at_evidence, htmx):
    response = journey.upload(
        at_evidence,
        ITEM,
        b"\xff\xd8\xff" + b"0" * 60_000,
        "huge.jpg",
        headers=htmx_headers() if htmx else None,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "The file is too large" in html
    assert ("<html" in html) is not htmx
    zh = journey.post(
        f"/orders/{at_evidence}/refund/evidence?lang=zh_CN",
        data={"item": ITEM, "file": (__import__("io").BytesIO(b"0" * 60_000), "huge.jpg")},
        content_type="multipart/form-data",
    )
    assert zh.status_code == 413
    assert len(live_files()) == 1


def test_several_files_at_once_keep_the_good_ones(journey, at_evidence):
    import io

    response = journey.post(
        f"/orders/{at_evidence}/refund/evidence?lang=en",
        data={
            "item": ITEM,
            "file": [
                (io.BytesIO(jpeg(color="blue")), "a.jpg"),
                (io.BytesIO(SVG_FILE), "b.svg"),
                (io.BytesIO(MINIMAL_PDF), "c.pdf"),
            ],
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "b.svg: This type of file is not accepted" in html
    # The card's screenshot item takes images only: the PDF is refused with the item's kinds.
    assert "c.pdf: This item accepts only: Photo or screenshot." in html
    assert sorted(f.original_name for f in live_files()) == ["a.jpg", "good.jpg"]


def test_pdf_where_a_pdf_is_accepted(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_as_described")
    journey.describe(order_id)
    response = journey.upload(
        order_id, "description_comparison", MINIMAL_PDF, "对比.pdf", headers=htmx_headers()
    )
    assert response.status_code == 200 and ">PDF<" in response.get_data(as_text=True)


def test_unknown_item_and_missing_file(journey, at_evidence):
    assert journey.upload(at_evidence, "no_such_item", jpeg()).status_code == 422
    response = journey.post(f"/orders/{at_evidence}/refund/evidence?lang=en", data={"item": ITEM})
    assert response.status_code == 422 and "Please choose a file to upload." in response.get_data(
        as_text=True
    )


def test_the_same_file_twice_is_kept_once(journey, at_evidence):
    journey.upload(at_evidence, ITEM, jpeg(), "again.jpg")
    assert [f.original_name for f in live_files()] == ["good.jpg"]


def test_remove_and_replace(journey, at_evidence):
    import io

    good = live_files()[0]
    response = journey.post(
        f"/orders/{at_evidence}/refund/evidence/{good.public_id}/replace?lang=en",
        data={"file": (io.BytesIO(SVG_FILE), "bad.svg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and [f.public_id for f in live_files()] == [good.public_id]
    response = journey.post(
        f"/orders/{at_evidence}/refund/evidence/{good.public_id}/replace",
        data={"file": (io.BytesIO(jpeg(color="green")), "better.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert [f.original_name for f in live_files()] == ["better.jpg"]
    better = live_files()[0]
    response = journey.post(
        f"/orders/{at_evidence}/refund/evidence/{better.public_id}/remove", headers=htmx_headers()
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "better.jpg" not in body and f'id="item-{ITEM}-body"' in body
    assert live_files() == []
    assert journey.get(f"/evidence/{better.public_id}").status_code == 404


def test_file_serving_headers(journey, at_evidence):
    image = live_files()[0]
    response = journey.get(f"/evidence/{image.public_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        response.headers["Content-Disposition"].startswith("inline")
        and "good.jpg" in response.headers["Content-Disposition"]
    )
    assert (
        "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    )
    thumb = journey.get(f"/evidence/{image.public_id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:3] == b"\xff\xd8\xff"


def test_pdf_is_a_sandboxed_download(journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_as_described")
    journey.describe(order_id)
    journey.upload(order_id, "description_comparison", MINIMAL_PDF, "对比.pdf")
    pdf = live_files()[0]
    response = journey.get(f"/evidence/{pdf.public_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.data == MINIMAL_PDF
    assert journey.get(f"/evidence/{pdf.public_id}/thumb").status_code == 404


def test_staff_see_case_files_but_not_drafts(journey, at_evidence, app):
    draft_file = live_files()[0]
    sign_in_staff(journey.client, app, "reviewer")
    assert journey.get(f"/evidence/{draft_file.public_id}").status_code == 404
    sign_in_customer(journey.client, app)
    key = journey.idempotency_key(at_evidence)
    journey.post(f"/orders/{at_evidence}/refund/submit", data={"idempotency_key": key})
    sign_in_staff(journey.client, app, "reviewer")
    assert journey.get(f"/evidence/{draft_file.public_id}").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(app, client, journey, at_evidence):
    public_id = live_files()[0].public_id
    anonymous = app.test_client()
    response = anonymous.get(f"/evidence/{public_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_stored_images_are_re_encoded_and_hashed_from_the_original(journey, at_evidence, app):
    import hashlib

    stored = live_files()[0]
    assert stored.sha256 == hashlib.sha256(jpeg()).hexdigest()
    data = LocalStorage(app.config["UPLOAD_FOLDER"]).open(stored.storage_key)
    assert data[:3] == b"\xff\xd8\xff" and stored.size == len(data)


def test_same_file_in_another_case_is_flagged(journey, app):
    first = journey.orders["game_card_unused"]
    second = journey.orders["game_card_stock_error"]
    for order_id in (first, second):
        journey.ready_to_submit(order_id, "not_received", ITEM)
        journey.post(
            f"/orders/{order_id}/refund/submit", data={"idempotency_key": journey.idempotency_key(order_id)}
        )
    files = list(db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
    assert len(files) == 2 and files[0].case_id != files[1].case_id
    first_case, second_case = (db.session.get(RefundCase, f.case_id) for f in files)
    assert risk.duplicate_cases(second_case) == (first_case.number,)
    assert risk.duplicate_cases(first_case) == (second_case.number,)


def test_clean_filename():
    assert uploads.clean_filename("C:\\Users\\me\\截图.jpg") == "截图.jpg"
    assert uploads.clean_filename("../../etc/passwd") == "passwd"
    assert uploads.clean_filename("a\x00b\u202e.jpg") == "ab.jpg"
    assert len(uploads.clean_filename("x" * 500)) == 200
