"""Keys and credentials for the provider adapters: read from the settings or from files, RSA SHA-256.

A credential `name` is given either inline (`name`) or as a file (`name_file`); whatever is wrong
(missing, unreadable, not a key) raises GatewayMisconfigured naming the setting, so the app refuses to
start instead of failing on the first refund. Key material never appears in a message.
"""

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portal.payouts.gateways import GatewayMisconfigured


def credential(extra: Mapping, name: str, where: str) -> str:
    """The text of credential `name` (inline or `name_file`); `where` names the settings block."""
    inline, path = extra.get(name), extra.get(f"{name}_file")
    if inline:
        return str(inline)
    if path:
        try:
            return Path(str(path)).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise GatewayMisconfigured(
                f"{where}.{name}_file: cannot read {path} ({type(exc).__name__})"
            ) from None
    raise GatewayMisconfigured(f"{where}.{name} (or {name}_file) is not set")


def _der_or_pem(text: str, kind: str) -> tuple[bytes, bool]:
    """(bytes, is_pem): PEM as written, or the bare base64 body providers' consoles hand out."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        return stripped.encode(), True
    try:
        return base64.b64decode("".join(stripped.split()), validate=True), False
    except (binascii.Error, ValueError):
        raise ValueError(f"not a PEM or base64 {kind}") from None


def private_key(text: str, where: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8) or bare base64 DER."""
    try:
        data, pem = _der_or_pem(text, "private key")
        key = (serialization.load_pem_private_key if pem else serialization.load_der_private_key)(
            data, password=None
        )
    except (ValueError, TypeError):
        raise GatewayMisconfigured(f"{where}: not a readable RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise GatewayMisconfigured(f"{where}: not an RSA private key")
    return key


def public_key(text: str, where: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM, an X.509 certificate (PEM), or bare base64 SubjectPublicKeyInfo."""
    try:
        data, pem = _der_or_pem(text, "public key")
        if pem and b"CERTIFICATE" in data.split(b"\n", 1)[0]:
            key = x509.load_pem_x509_certificate(data).public_key()
        elif pem:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, TypeError):
        raise GatewayMisconfigured(f"{where}: not a readable RSA public key or certificate") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise GatewayMisconfigured(f"{where}: not an RSA public key")
    return key


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64: Alipay's RSA2 and WeChat Pay's SHA256-RSA2048."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """True when `signature` (base64) is the provider's SHA256withRSA signature of `message`."""
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
