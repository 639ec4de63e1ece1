"""Aliyun SMS (Dysmsapi 2017-05-25, SendSms) over its HTTP API, signed with ACS3-HMAC-SHA256 (signature v3).

The request (as Aliyun documents the v3 signature for RPC-style APIs):
- POST https://dysmsapi.aliyuncs.com/?<parameters>: PhoneNumbers, SignName, TemplateCode,
  TemplateParam (JSON of the template's ${name} values) and OutId (our outbox id), empty body;
- headers host, x-acs-action: SendSms, x-acs-version: 2017-05-25, x-acs-date (UTC, ISO 8601),
  x-acs-signature-nonce (fresh each time), x-acs-content-sha256 (hex SHA-256 of the body);
- CanonicalRequest = METHOD\\nURI\\nsorted, RFC 3986-encoded query\\nheaders as name:value\\n each\\n
  signed header names joined with ;\\nbody hash; StringToSign = "ACS3-HMAC-SHA256\\n" + hex SHA-256 of it;
  Signature = hex HMAC-SHA256 with the AccessKey secret; Authorization: ACS3-HMAC-SHA256
  Credential=<AccessKey id>,SignedHeaders=<names>,Signature=<signature>.
Answer: {"Code": "OK", "BizId": …} or an error Code, mapped to retry / give up / fix settings.
"""

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from portal.notifications.providers.common import Templates, outcome_for, parameter_order, post, setting
from portal.notifications.sms import SmsMessage, SmsOutcome, SmsRefused

ACTION, VERSION = "SendSms", "2017-05-25"
ALGORITHM = "ACS3-HMAC-SHA256"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"

OUTCOMES: dict[str, SmsOutcome] = {
    "isp.SYSTEM_ERROR": SmsOutcome.RETRY,
    "isv.BUSINESS_LIMIT_CONTROL": SmsOutcome.RETRY,  # per-minute / per-hour flow control
    "Throttling.": SmsOutcome.RETRY,
    "ServiceUnavailable": SmsOutcome.RETRY,
    "InternalError": SmsOutcome.RETRY,
    "SignatureNonceUsed": SmsOutcome.RETRY,
    "isv.MOBILE_NUMBER_ILLEGAL": SmsOutcome.GIVE_UP,
    "isv.MOBILE_COUNT_OVER_LIMIT": SmsOutcome.GIVE_UP,
    "isv.DAY_LIMIT_CONTROL": SmsOutcome.GIVE_UP,  # this number's daily cap: retrying today cannot help
    "isv.BLACK_KEY_CONTROL_LIMIT": SmsOutcome.GIVE_UP,
    "isv.PARAM_LENGTH_LIMIT": SmsOutcome.GIVE_UP,
    "isv.SMS_TEMPLATE_ILLEGAL": SmsOutcome.FIX_SETTINGS,
    "isv.SMS_SIGNATURE_ILLEGAL": SmsOutcome.FIX_SETTINGS,
    "isv.TEMPLATE_MISSING_PARAMETERS": SmsOutcome.FIX_SETTINGS,
    "isv.TEMPLATE_PARAMS_ILLEGAL": SmsOutcome.FIX_SETTINGS,
    "isv.INVALID_PARAMETERS": SmsOutcome.FIX_SETTINGS,
    "isv.AMOUNT_NOT_ENOUGH": SmsOutcome.FIX_SETTINGS,
    "isv.OUT_OF_SERVICE": SmsOutcome.FIX_SETTINGS,
    "isv.ACCOUNT_NOT_EXISTS": SmsOutcome.FIX_SETTINGS,
    "isv.ACCOUNT_ABNORMAL": SmsOutcome.FIX_SETTINGS,
    "isv.PRODUCT_UN_SUBSCRIPT": SmsOutcome.FIX_SETTINGS,
    "isv.PRODUCT_UNSUBSCRIBE": SmsOutcome.FIX_SETTINGS,
    "isp.RAM_PERMISSION_DENY": SmsOutcome.FIX_SETTINGS,
    "InvalidAccessKeyId.": SmsOutcome.FIX_SETTINGS,
    "SignatureDoesNotMatch": SmsOutcome.FIX_SETTINGS,
    "IncompleteSignature": SmsOutcome.FIX_SETTINGS,
    "InvalidTimeStamp.": SmsOutcome.FIX_SETTINGS,  # this machine's clock is off
    "Forbidden.": SmsOutcome.FIX_SETTINGS,
}


def encode(value: str) -> str:
    """RFC 3986 percent-encoding as the v3 signature wants it (space %20, * %2A, ~ kept)."""
    return quote(value, safe="-_.~")


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body_hash: str
):
    """(CanonicalRequest, SignedHeaders) for the given request."""
    query_string = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query.items()))
    names = sorted(k.lower() for k in headers)
    lower = {k.lower(): str(v).strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{lower[name]}\n" for name in names)
    signed = ";".join(names)
    return f"{method}\n{path}\n{query_string}\n{canonical_headers}\n{signed}\n{body_hash}", signed


class AliyunSms:
    """Aliyun SMS: ALIYUN_SMS_ACCESS_KEY_ID / _SECRET (or _FILE), SMS_SIGN_NAME, SMS_TEMPLATE_CODES."""

    def __init__(self, config: Mapping):
        self.key_id = setting(config, "ALIYUN_SMS_ACCESS_KEY_ID")
        self.key_secret = setting(config, "ALIYUN_SMS_ACCESS_KEY_SECRET")
        self.endpoint = str(config.get("ALIYUN_SMS_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.sign_name = str(config.get("SMS_SIGN_NAME") or "")
        self.timeout = float(config.get("SMS_TIMEOUT", 5))
        self.templates = Templates(config)

    def signed_request(self, query: Mapping[str, str], now: datetime | None = None) -> tuple[str, dict]:
        """(URL, headers) of a signed POST with these parameters and an empty body."""
        body_hash = hashlib.sha256(b"").hexdigest()
        headers = {
            "host": urlsplit(self.endpoint).netloc,
            "x-acs-action": ACTION,
            "x-acs-version": VERSION,
            "x-acs-date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "x-acs-content-sha256": body_hash,
        }
        request, signed = canonical_request("POST", "/", query, headers, body_hash)
        to_sign = f"{ALGORITHM}\n{hashlib.sha256(request.encode()).hexdigest()}"
        signature = hmac.new(self.key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={self.key_id},SignedHeaders={signed},Signature={signature}"
        )
        url = self.endpoint + "/?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query.items()))
        return url, headers

    def send(self, message: SmsMessage) -> str:
        query = {
            "PhoneNumbers": message.phone,
            "SignName": self.sign_name,
            "TemplateCode": self.templates.code(message),
            "TemplateParam": json.dumps(
                {k: str(message.params[k]) for k in parameter_order(message.template) if k in message.params},
                ensure_ascii=False,
            ),
            "OutId": message.out_id,
        }
        url, headers = self.signed_request(query)
        status, body = post(url, b"", headers, self.timeout)
        try:
            answer = json.loads(body)
        except ValueError:
            raise SmsRefused(SmsOutcome.RETRY, f"HTTP_{status}", "unreadable answer") from None
        code = str(answer.get("Code", f"HTTP_{status}"))
        if code == "OK":
            return str(answer.get("BizId", ""))
        raise SmsRefused(outcome_for(code, OUTCOMES), code, str(answer.get("Message", ""))[:200])
