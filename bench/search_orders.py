"""Order search at 10,000 and 1,000,000 orders on PostgreSQL: median times and the 1M/10k ratios.

    .venv/bin/python bench/search_orders.py [--database postgresql://postgres@127.0.0.1:5432/refund_bench]

Builds a scratch database (dropped and re-created), loads the demo world, grows it to each size with
`demo-data --orders`-style bulk inserts, and times the three searches of 我的订单 for the demo customer
through the same service the page uses. Goal: ≤ 1.5× for number and date searches, ≤ 3× for product name.
"""

import argparse
import statistics
import time
from datetime import timedelta

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.clock import utcnow
from portal.config import normalise_database_url
from portal.demo.builder import DEMO_PHONE, build, bulk_orders
from portal.extensions import db
from portal.myorders.search import OrderQuery, search_orders
from portal.orders.models import Order

SIZES = (10_000, 1_000_000)
REPEATS = 60


def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def median_ms(fn) -> float:
    fn()  # warm
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(customer_id: int, number_prefix: str) -> dict[str, float]:
    today = utcnow().date()
    queries = {
        "number": OrderQuery(text=number_prefix),
        "product name": OrderQuery(text="点卡"),
        "date range": OrderQuery(date_from=today - timedelta(days=30), date_to=today),
    }
    return {name: median_ms(lambda q=q: search_orders(customer_id, q, 10)) for name, q in queries.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/refund_bench")
    args = parser.parse_args()
    url = normalise_database_url(args.database)
    recreate_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RQ_ENABLED": False, "DEV_PAGES": True})
    results = {}
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        build()
        from portal.accounts.models import Customer

        customer_id = db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))
        number_prefix = db.session.scalar(select(Order.number).where(Order.customer_id == customer_id))[:12]
        for size in SIZES:
            have = db.session.scalar(select(func.count()).select_from(Order))
            start = time.perf_counter()
            bulk_orders(size - have)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"loaded {size:,} orders in {time.perf_counter() - start:.0f} s", flush=True)
            results[size] = measure(customer_id, number_prefix)
            db.session.remove()
    small, large = SIZES
    goals = {"number": 1.5, "product name": 3.0, "date range": 1.5}
    print(f"\n{'search':<14}{'10k (ms)':>10}{'1M (ms)':>10}{'1M/10k':>9}{'goal':>7}")
    for name, goal in goals.items():
        ratio = results[large][name] / results[small][name]
        print(
            f"{name:<14}{results[small][name]:>10.2f}{results[large][name]:>10.2f}{ratio:>9.2f}{goal:>6.1f}×"
            f"  {'ok' if ratio <= goal else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
