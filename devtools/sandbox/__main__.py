"""Serve the SANDBOX payment gateway: `python -m devtools.sandbox --port 5055` (see app.py)."""

import argparse
import logging
import os

from werkzeug.serving import make_server

from devtools.sandbox.app import create_sandbox_app
from devtools.sandbox.state import DEFAULT_SECRET, LABEL
from portal.config import INSTANCE

log = logging.getLogger("sandbox-gateway")


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox gateway (threaded), with its settler and notifier running."""
    parser = argparse.ArgumentParser(description=LABEL)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--secret",
        default=os.environ.get("REFUND_PAYMENT_GATEWAY_SECRET", DEFAULT_SECRET),
        help="HMAC key shared with the portal (PAYMENT_GATEWAY_SECRET)",
    )
    parser.add_argument("--db", default=str(INSTANCE / "payment-sandbox.db"), help="SQLite file, or :memory:")
    parser.add_argument("--settle-delay", type=float, default=2.0, help="seconds before a refund settles")
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=8.0,
        help="how late the timeout switches answer (longer than the portal's PAYMENT_GATEWAY_TIMEOUT)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox-gateway %(message)s")
    app = create_sandbox_app(args.secret, args.db)
    app.sandbox.switches.update({"settle_delay": args.settle_delay, "hang_seconds": args.hang_seconds})
    app.sandbox.start()
    server = make_server(args.host, args.port, app, threaded=True)
    log.warning("%s — listening on http://%s:%s", LABEL, args.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.sandbox.stop()


if __name__ == "__main__":
    main()
