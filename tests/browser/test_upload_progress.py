"""The evidence upload component (static/js/uploads.js) on a slow connection: the file being sent shows its
percentage (text and bar), the next one waits (等待上传…), and 取消 takes either back: the waiting one is
never sent, the one going is aborted and nothing is stored. Afterwards uploads work as before."""

import os
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.models import Order
from tests.browser.conftest import sign_in_by_sms
from tests.samples import jpeg

pytestmark = pytest.mark.browser
ITEM = "topup_failure_screenshot"
SLOW_UPLOAD = 100 * 1024  # bytes a second: a 1 MB photo takes about ten seconds

SENDING_PERCENT = """(item) => {
  const status = document.querySelector(item + ' .upload-row.sending .upload-status');
  const found = status && status.textContent.match(/^(\\d+)%$/);
  return Boolean(found) && Number(found[1]) > 0 && Number(found[1]) < 100;
}"""


def _noise_png(side: int = 600) -> bytes:
    """A photo that does not compress (random pixels), about 1 MB."""
    import io

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def _evidence_files(live_server) -> int:
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count(EvidenceFile.id)))
        db.session.remove()
    return count


def _to_the_evidence_step(page, live_server) -> None:
    """A Q币 top-up that never arrived: type, then reason, as a customer does; lands on 凭证."""
    with live_server.app.app_context():
        order_id = db.session.scalar(
            select(Order.id)
            .where(Order.product_title.contains("Q币"), Order.refunded_fen == 0)
            .order_by(Order.id)
        )
        db.session.remove()
    page.goto(f"/orders/{order_id}/refund?lang=en")
    page.locator("label[for=type-not_received]").click()
    page.locator("button[name=action][value=continue]").click()
    page.wait_for_url("**/refund/reason")
    page.locator("#reason").fill("The top-up never arrived in the game account.")
    page.locator("#wizard-form button[type=submit]").click()
    page.wait_for_url("**/refund/evidence")


# The aborted upload leaves Werkzeug's spooled temporary file of the cut-off form to the garbage collector
# (the client went away mid-body): that one warning, and only it, is expected here.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function SpooledTemporaryFile.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)
def test_upload_percentage_waiting_and_cancel(phone_page, live_server):
    page = phone_page(js_enabled=True, locale="en")
    sign_in_by_sms(page, live_server)
    page.wait_for_url("**/orders")
    _to_the_evidence_step(page, live_server)
    before = _evidence_files(live_server)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/refund/" in r.url else None)
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    slow = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": SLOW_UPLOAD}
    network.send("Network.emulateNetworkConditions", slow)

    item = page.locator(f"#item-{ITEM}")
    item.locator("input[type=file][multiple]").set_input_files(
        files=[
            {"name": "big.png", "mimeType": "image/png", "buffer": _noise_png()},
            {"name": "second.jpg", "mimeType": "image/jpeg", "buffer": jpeg((360, 640))},
        ]
    )
    rows = item.locator(".upload-progress .upload-row")
    expect(rows).to_have_count(2)
    going, waiting = rows.nth(0), rows.nth(1)
    expect(waiting).to_have_class(re.compile(r"\bwaiting\b"))
    expect(waiting.locator(".upload-status")).to_have_text("Waiting…")

    # The percentage moves (text in a status region, and the bar) while the first file goes.
    page.wait_for_function(SENDING_PERCENT, arg=f"#item-{ITEM}", timeout=15_000)
    assert going.locator(".upload-status").get_attribute("role") == "status"
    assert 0 < going.locator("progress").evaluate("bar => bar.value") < 100
    assert going.locator("progress").get_attribute("aria-label") == "big.png"

    # Cancel the waiting file: it is never sent. Cancel the one going: it is aborted.
    waiting.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(1)
    going.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(0)
    page.wait_for_timeout(500)
    assert len(sent) == 1  # only the first file ever started
    assert _evidence_files(live_server) == before  # nothing stored
    assert page.locator(f"#item-{ITEM}-body img").count() == 0

    # At full speed again, a file goes through and the item is ticked.
    network.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": -1})
    item.locator("input[type=file][multiple]").set_input_files(
        files=[{"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": jpeg((360, 640))}]
    )
    page.locator(f"#item-{ITEM}-body img").wait_for()
    assert page.locator(f"#item-{ITEM}-body .tick").count() == 1
    assert _evidence_files(live_server) == before + 1
