"""One storage test-suite, run on the local folder and on an S3 HTTP endpoint (moto's server: a stand-in)."""

import hashlib
import stat

import pytest
from click.testing import CliRunner

from portal.evidence.commands import migrate_storage_command
from portal.evidence.storage import (
    InvalidKeyError,
    LocalStorage,
    Storage,
    build_storage,
    new_key,
    validate_key,
)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> Storage:
    if request.param == "local":
        return build_storage({"UPLOAD_FOLDER": str(tmp_path)}, "evidence")
    settings = request.getfixturevalue("s3_empty")
    return build_storage({**settings, "EVIDENCE_STORAGE": "s3", "EVIDENCE_S3_PREFIX": "t/"}, "evidence")


def test_round_trip(store):
    assert isinstance(store, Storage)
    key = store.save(b"hello", ".jpg")
    assert validate_key(key) == key and key.endswith(".jpg")
    assert store.exists(key) and store.open(key) == b"hello"
    assert list(store.keys()) == [key]
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # idempotent
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_keys_are_random(store):
    keys = {store.save(b"x", ".png") for _ in range(10)}
    assert len(keys) == 10 and set(store.keys()) == keys


def test_put_keeps_the_key_and_never_replaces(store):
    key = "k" * 32 + ".pdf"
    store.put(key, b"first")
    with pytest.raises(FileExistsError):
        store.put(key, b"second")
    assert store.open(key) == b"first"


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "..",
        "/etc/passwd",
        "ab/cd/" + "a" * 32,
        "a" * 31 + "/",
        "a" * 32 + "/../x",
        "a" * 32 + ".jpg\x00",
        "a" * 33,
        "a" * 32 + ".JPG",
        "a" * 32 + "..jpg",
        "",
        "..%2f..%2fetc%2fpasswd",
        "a" * 30 + "..",
    ],
)
def test_foreign_keys_are_refused(store, key):
    for call in (store.open, store.delete, store.exists):
        with pytest.raises(InvalidKeyError):
            call(key)
    with pytest.raises(InvalidKeyError):
        store.put(key, b"x")


@pytest.mark.parametrize("suffix", ["/../x", ".jpg/..", "jpg", ".PHP", ".toolongsuffix", "../"])
def test_odd_suffixes_are_refused(store, suffix):
    with pytest.raises(InvalidKeyError):
        store.save(b"x", suffix)
    assert list(store.keys()) == []


def test_local_files_are_private_and_written_whole(tmp_path):
    store = LocalStorage(tmp_path)
    key = store.save(b"hello", ".jpg")
    path = tmp_path / key[0:2] / key[2:4] / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [key]  # no temporary file left behind
    assert store.save(b"", "") and len(new_key()) == 32


def test_areas_are_apart(tmp_path, s3_empty):
    for settings in ({"UPLOAD_FOLDER": str(tmp_path)}, {**s3_empty, "EVIDENCE_STORAGE": "s3"}):
        evidence, proofs = build_storage(settings, "evidence"), build_storage(settings, "payout-proofs")
        key = proofs.save(b"proof", ".pdf")
        assert list(evidence.keys()) == [] and list(proofs.keys()) == [key]


def test_objects_are_private(s3_empty):
    """Nothing reaches the bucket readable by anyone: an anonymous GET is refused."""
    import urllib.error
    import urllib.request

    store = build_storage({**s3_empty, "EVIDENCE_STORAGE": "s3"}, "evidence")
    key = store.save(b"secret evidence", ".jpg")
    url = f"{s3_empty['EVIDENCE_S3_ENDPOINT_URL']}/{s3_empty['EVIDENCE_S3_BUCKET']}/evidence/{key}"
    acl = store.client.get_object_acl(Bucket=store.bucket, Key=f"evidence/{key}")
    assert all(grant["Grantee"].get("URI", "").endswith("AllUsers") is False for grant in acl["Grants"])
    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError):
        # moto answers anonymous requests only for public-read objects in its default (non-strict) mode
        # when the ACL allows it; ours is private.
        urllib.request.urlopen(url, timeout=5).read()  # noqa: S310


def test_wrong_settings_fail_at_start(tmp_path):
    with pytest.raises(ValueError, match="EVIDENCE_S3_BUCKET"):
        build_storage({"EVIDENCE_STORAGE": "s3", "UPLOAD_FOLDER": str(tmp_path)}, "evidence")
    with pytest.raises(ValueError, match="'local' or 's3'"):
        build_storage({"EVIDENCE_STORAGE": "ftp", "UPLOAD_FOLDER": str(tmp_path)}, "evidence")


def test_migrate_storage_copies_and_verifies(app, s3_empty):
    app.config.update(s3_empty)
    local_evidence = build_storage(app.config, "evidence", "local")
    local_proofs = build_storage(app.config, "payout-proofs", "local")
    keys = [local_evidence.save(bytes([n]) * 1000, ".jpg") for n in range(3)]
    proof = local_proofs.save(b"%PDF-1.4 proof", ".pdf")
    runner = CliRunner()
    with app.app_context():
        result = runner.invoke(migrate_storage_command, ["--from", "local", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "evidence: 3 copied, 0 already there, 0 failed" in result.output
    assert "payout-proofs: 1 copied" in result.output
    s3_evidence = build_storage(app.config, "evidence", "s3")
    for n, key in enumerate(keys):
        assert hashlib.sha256(s3_evidence.open(key)).digest() == hashlib.sha256(bytes([n]) * 1000).digest()
    assert build_storage(app.config, "payout-proofs", "s3").open(proof) == b"%PDF-1.4 proof"
    # Again, deleting the source: nothing copied twice, the source emptied.
    with app.app_context():
        result = runner.invoke(migrate_storage_command, ["--from", "local", "--to", "s3", "--delete-source"])
    assert result.exit_code == 0 and "evidence: 0 copied, 3 already there" in result.output
    assert list(local_evidence.keys()) == [] and list(local_proofs.keys()) == []


def test_migrate_storage_reports_a_conflicting_copy(app, s3_empty):
    app.config.update(s3_empty)
    key = build_storage(app.config, "evidence", "local").save(b"original", ".jpg")
    build_storage(app.config, "evidence", "s3").put(key, b"tampered")
    with app.app_context():
        result = CliRunner().invoke(
            migrate_storage_command, ["--from", "local", "--to", "s3", "--delete-source"]
        )
    assert result.exit_code == 1 and "different bytes" in result.output
    assert build_storage(app.config, "evidence", "local").open(key) == b"original"  # kept
