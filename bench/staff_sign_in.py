"""Staff sign-in: a wrong password for a real username against one for an unknown username.

    .venv/bin/python bench/staff_sign_in.py [--repeats 30]

Both go through the sign-in service with the production password hash (scrypt) on a scratch SQLite database;
the failure limits are lifted so that every try is counted. Goal: the unknown username takes 0.8–1.25× the
time of the real one (a timing difference must not tell whether a username exists).
"""

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from portal import create_app
from portal.accounts.models import StaffUser
from portal.accounts.services import authenticate_staff
from portal.extensions import db


def median_ms(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # every failure is logged; only the figures are wanted here
    workdir = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RQ_ENABLED": False,
            "DEV_PAGES": True,  # a development start (development secrets)
            "PASSWORD_HASH_METHOD": "scrypt",
            "STAFF_SIGN_IN_LIMIT_USERNAME": "1000000 per hour",
            "STAFF_SIGN_IN_LIMIT_IP": "1000000 per hour",
        }
    )
    with app.app_context():
        db.create_all()
        user = StaffUser(username="reviewer", display_name="R", role="reviewer")
        user.set_password("the-right-password", "scrypt")
        db.session.add(user)
        db.session.commit()
        settings = app.config
        known = median_ms(lambda: authenticate_staff("reviewer", "wrong", "10.0.0.1", settings), args.repeats)
        unknown = median_ms(lambda: authenticate_staff("nobody", "wrong", "10.0.0.2", settings), args.repeats)
    ratio = unknown / known
    print(f"{'username':<10}{'median (ms)':>12}")
    print(f"{'real':<10}{known:>12.1f}")
    print(f"{'unknown':<10}{unknown:>12.1f}")
    print(f"unknown/real {ratio:.2f} (goal 0.80–1.25)  {'ok' if 0.8 <= ratio <= 1.25 else 'MISSED'}")


if __name__ == "__main__":
    main()
