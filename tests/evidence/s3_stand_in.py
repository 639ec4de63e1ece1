"""A STAND-IN for the object store: moto's S3 server on 127.0.0.1, spoken to over real HTTP by boto3.

Production uses any S3-compatible service (AWS S3, Aliyun OSS, MinIO); the tests cannot reach one, so this
process-local server answers the same HTTP API.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "refund-evidence-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def s3_stand_in() -> Iterator[dict]:
    """Start the server, create the bucket; yield the EVIDENCE_S3_* settings that point at it."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = {
        "EVIDENCE_S3_BUCKET": BUCKET,
        "EVIDENCE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "EVIDENCE_S3_REGION": "us-east-1",
        "EVIDENCE_S3_ACCESS_KEY_ID": "stand-in",
        "EVIDENCE_S3_SECRET_ACCESS_KEY": "stand-in-secret",
        "EVIDENCE_S3_ADDRESSING_STYLE": "path",
    }
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings["EVIDENCE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="stand-in",
        aws_secret_access_key="stand-in-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield settings
    finally:
        server.stop()


def empty_bucket(settings: dict) -> None:
    """Delete every object (between tests; the server lives for the whole run)."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings["EVIDENCE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="stand-in",
        aws_secret_access_key="stand-in-secret",
    )
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
