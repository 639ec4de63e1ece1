"""Tencent Cloud SMS (SendSms, API 2021-01-11) over its HTTP API, signed with TC3-HMAC-SHA256 (signature v3).

The request (as Tencent Cloud documents signature v3):
- POST https://sms.tencentcloudapi.com/ with a JSON body: PhoneNumberSet, SmsSdkAppId, SignName,
  TemplateId, TemplateParamSet (the template's {1}, {2}… values, in order) and SessionContext (our
  outbox id, echoed back); headers Content-Type, Host, X-TC-Action: SendSms, X-TC-Version: 2021-01-11,
  X-TC-Timestamp, X-TC-Region;
- CanonicalRequest = POST\\n/\\n\\ncontent-type:…\\nhost:…\\nx-tc-action:sendsms\\n\\n
  content-type;host;x-tc-action\\nhex SHA-256 of the body;
- StringToSign = "TC3-HMAC-SHA256\\n<timestamp>\\n<UTC date>/sms/tc3_request\\nhex SHA-256 of it";
- the key is derived: HMAC("TC3" + SecretKey, date) → HMAC(·, "sms") → HMAC(·, "tc3_request"), and
  Signature = hex HMAC of StringToSign with it; Authorization: TC3-HMAC-SHA256
  Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=…, Signature=….
Answer: Response.SendStatusSet[0].Code "Ok", or an error code (there or in Response.Error), mapped to
retry / give up / fix settings.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from portal.notifications.providers.common import Templates, outcome_for, parameter_order, post, setting
from portal.notifications.sms import SmsMessage, SmsOutcome, SmsRefused

SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com"

OUTCOMES: dict[str, SmsOutcome] = {
    "InternalError.": SmsOutcome.RETRY,
    "InternalError": SmsOutcome.RETRY,
    "RequestLimitExceeded": SmsOutcome.RETRY,
    "LimitExceeded.PhoneNumberThirtySecondLimit": SmsOutcome.RETRY,
    "LimitExceeded.PhoneNumberOneHourLimit": SmsOutcome.RETRY,
    "LimitExceeded.DeliveryFrequencyLimit": SmsOutcome.RETRY,
    "LimitExceeded.PhoneNumberDailyLimit": SmsOutcome.GIVE_UP,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": SmsOutcome.GIVE_UP,
    "InvalidParameterValue.IncorrectPhoneNumber": SmsOutcome.GIVE_UP,
    "FailedOperation.PhoneNumberInBlacklist": SmsOutcome.GIVE_UP,
    "FailedOperation.PhoneNumberOnBlacklist": SmsOutcome.GIVE_UP,
    "FailedOperation.ContainSensitiveWord": SmsOutcome.GIVE_UP,
    "UnsupportedOperation.UnsupportedRegion": SmsOutcome.GIVE_UP,
    "AuthFailure.": SmsOutcome.FIX_SETTINGS,
    "UnauthorizedOperation.": SmsOutcome.FIX_SETTINGS,
    "FailedOperation.TemplateIncorrectOrUnapproved": SmsOutcome.FIX_SETTINGS,
    "FailedOperation.SignatureIncorrectOrUnapproved": SmsOutcome.FIX_SETTINGS,
    "FailedOperation.InsufficientBalanceInSmsPackage": SmsOutcome.FIX_SETTINGS,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": SmsOutcome.FIX_SETTINGS,
    "InvalidParameterValue.TemplateParameterFormatError": SmsOutcome.FIX_SETTINGS,
    "InvalidParameterValue.TemplateParameterLengthLimit": SmsOutcome.FIX_SETTINGS,
    "InvalidParameterValue.SdkAppIdNotExist": SmsOutcome.FIX_SETTINGS,
    "InvalidParameter.": SmsOutcome.FIX_SETTINGS,
}


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(host: str, body: bytes) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders) of a POST / with this JSON body."""
    signed = "content-type;host;x-tc-action"
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{ACTION.lower()}\n"
    return f"POST\n/\n\n{headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}", signed


class TencentSms:
    """Tencent Cloud SMS: TENCENT_SMS_SECRET_ID / _KEY (or _FILE), TENCENT_SMS_SDK_APP_ID, template codes."""

    def __init__(self, config: Mapping):
        self.secret_id = setting(config, "TENCENT_SMS_SECRET_ID")
        self.secret_key = setting(config, "TENCENT_SMS_SECRET_KEY")
        self.app_id = setting(config, "TENCENT_SMS_SDK_APP_ID")
        self.region = str(config.get("TENCENT_SMS_REGION") or "ap-guangzhou")
        self.endpoint = str(config.get("TENCENT_SMS_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.sign_name = str(config.get("SMS_SIGN_NAME") or "")
        self.timeout = float(config.get("SMS_TIMEOUT", 5))
        self.templates = Templates(config)

    def signed_headers(self, body: bytes, now: float | None = None) -> dict[str, str]:
        timestamp = int(now if now is not None else time.time())
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        host = urlsplit(self.endpoint).netloc
        request, signed = canonical_request(host, body)
        scope = f"{date}/{SERVICE}/tc3_request"
        to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(request.encode()).hexdigest()}"
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), SERVICE), "tc3_request")
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Authorization": f"{ALGORITHM} Credential={self.secret_id}/{scope}, SignedHeaders={signed}, "
            f"Signature={signature}",
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }

    def send(self, message: SmsMessage) -> str:
        params = [
            str(message.params[name]) for name in parameter_order(message.template) if name in message.params
        ]
        payload = {
            "PhoneNumberSet": [message.phone],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": self.templates.code(message),
            "TemplateParamSet": params,
            "SessionContext": message.out_id,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        status, answer_body = post(self.endpoint + "/", body, self.signed_headers(body), self.timeout)
        try:
            answer = json.loads(answer_body)["Response"]
        except (ValueError, KeyError, TypeError):
            raise SmsRefused(SmsOutcome.RETRY, f"HTTP_{status}", "unreadable answer") from None
        if error := answer.get("Error"):
            code = str(error.get("Code", ""))
            raise SmsRefused(outcome_for(code, OUTCOMES), code, str(error.get("Message", ""))[:200])
        try:
            [sent] = answer["SendStatusSet"]
        except (KeyError, ValueError, TypeError):
            raise SmsRefused(SmsOutcome.RETRY, "NO_STATUS", "no send status") from None
        code = str(sent.get("Code", ""))
        if code == "Ok":
            return str(sent.get("SerialNo", ""))
        raise SmsRefused(outcome_for(code, OUTCOMES), code, str(sent.get("Message", ""))[:200])
