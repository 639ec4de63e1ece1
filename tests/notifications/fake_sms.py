"""Test-only SMS providers, loaded by SMS_BACKEND = "tests.notifications.fake_sms:<Class>"."""

import os
import time
from pathlib import Path


class FailingSms:
    """A provider that is down."""

    def __init__(self, config=None) -> None:
        pass

    def send(self, message) -> str:
        raise RuntimeError("provider unavailable")


class SlowFileSms:
    """A provider in another process's eyes: files in $FAKE_SMS_DIR record every call and every delivery.

    It de-duplicates by out_id like Aliyun's OutId: a second call for a delivered out_id sends nothing.
    Before delivering it sleeps $FAKE_SMS_SLEEP seconds (the window in which a test kills the worker),
    after writing `started` so the test knows the call is in flight.
    """

    def __init__(self, config=None) -> None:
        self.dir = Path(os.environ["FAKE_SMS_DIR"])
        self.sleep = float(os.environ.get("FAKE_SMS_SLEEP", "0"))

    def send(self, message) -> str:
        out_id = message.out_id
        with (self.dir / "calls.log").open("a") as calls:
            calls.write(out_id + "\n")
        delivered = self.dir / "delivered.log"
        if delivered.exists() and out_id in delivered.read_text().split():
            return f"fake-{out_id}"
        (self.dir / "started").write_text(out_id)
        time.sleep(self.sleep)
        with delivered.open("a") as log:
            log.write(out_id + "\n")
        return f"fake-{out_id}"
