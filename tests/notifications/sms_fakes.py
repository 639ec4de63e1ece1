"""STAND-INS for Aliyun SMS and Tencent Cloud SMS (tests only): HTTP servers on 127.0.0.1 that check our
signature v3 requests as the providers document them (written independently of the backends) and
answer as the providers do. Nothing here reaches a real provider; no SMS is ever sent."""

import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from flask import Flask, Response, request
from werkzeug.serving import make_server

LABEL = "STAND-IN SMS provider (tests only): nothing is sent"
ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI-test-key-id", "test-aliyun-secret"
TENCENT_ID, TENCENT_KEY, TENCENT_APP = "AKID-test-secret-id", "test-tencent-secret", "1400000000"


class FakeSms:
    """The common part: a labelled Flask app on a free port; received messages; scripted answers."""

    def __init__(self):
        self.received: list[dict] = []
        self.problems: list[str] = []
        self.codes: list[str] = []  # the next answers' codes ("OK"/"Ok" when empty)
        self.hang = 0.0
        self.nonces: set[str] = set()
        self.app = Flask(type(self).__name__)
        self.app.after_request(self._label)
        self.app.add_url_rule("/", view_func=self.handle, methods=["POST"])
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _label(response: Response) -> Response:
        response.headers["X-Stand-In"] = LABEL
        return response

    def start(self):
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def next_code(self, ok: str) -> str:
        return self.codes.pop(0) if self.codes else ok

    def handle(self):
        raise NotImplementedError


def _enc(value: str) -> str:
    return quote(value, safe="~").replace("%7E", "~")


class FakeAliyunSms(FakeSms):
    """Dysmsapi SendSms with ACS3-HMAC-SHA256."""

    def check(self) -> list[str]:
        problems = []
        headers = {k.lower(): v for k, v in request.headers.items()}
        for name, value in {"x-acs-action": "SendSms", "x-acs-version": "2017-05-25"}.items():
            if headers.get(name) != value:
                problems.append(f"{name} is not {value}")
        body = request.get_data()
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            problems.append("x-acs-content-sha256 is not the body's hash")
        try:
            sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if abs((datetime.now(UTC) - sent).total_seconds()) > 900:
                problems.append("x-acs-date more than 15 minutes off")
        except ValueError:
            problems.append("x-acs-date is not ISO 8601 UTC")
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce or nonce in self.nonces:
            problems.append("x-acs-signature-nonce missing or reused")
        self.nonces.add(nonce)
        algorithm, _, rest = headers.get("authorization", "").partition(" ")
        fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "ACS3-HMAC-SHA256" or fields.get("Credential") != ALIYUN_KEY_ID:
            return [*problems, "Authorization algorithm or Credential wrong"]
        signed = fields.get("SignedHeaders", "").split(";")
        needed = {"host", *(h for h in headers if h.startswith("x-acs-"))}
        if set(signed) < needed or signed != sorted(signed):
            problems.append("SignedHeaders must list host and every x-acs-* header, sorted")
        query = sorted(
            (_enc(k), _enc(v)) for k, v in parse_qsl(request.query_string.decode(), keep_blank_values=True)
        )
        canonical = "\n".join(
            [
                request.method,
                request.path,
                "&".join(f"{k}={v}" for k, v in query),
                "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed),
                ";".join(signed),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(ALIYUN_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            problems.append("Signature does not match")
        return problems

    def handle(self):
        if self.hang:
            time.sleep(self.hang)
        problems = self.check()
        self.problems.extend(problems)
        params = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        self.received.append(params)
        code = "SignatureDoesNotMatch" if problems else self.next_code("OK")
        answer = {"Code": code, "Message": "OK" if code == "OK" else "stand-in refusal", "RequestId": "R1"}
        if code == "OK":
            answer["BizId"] = "900619746936498440^0"
        return Response(
            json.dumps(answer),
            200 if code == "OK" or code.startswith("isv.") else 400,
            mimetype="application/json",
        )


class FakeTencentSms(FakeSms):
    """SendSms 2021-01-11 with TC3-HMAC-SHA256."""

    def check(self) -> list[str]:
        problems = []
        headers = {k.lower(): v for k, v in request.headers.items()}
        for name, value in {"x-tc-action": "SendSms", "x-tc-version": "2021-01-11"}.items():
            if headers.get(name) != value:
                problems.append(f"{name} is not {value}")
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return [*problems, "X-TC-Timestamp missing or more than 5 minutes off"]
        algorithm, _, rest = headers.get("authorization", "").partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
        scope = f"{date}/sms/tc3_request"
        if algorithm != "TC3-HMAC-SHA256" or fields.get("Credential") != f"{TENCENT_ID}/{scope}":
            return [*problems, "Authorization algorithm or Credential (id/date/service/tc3_request) wrong"]
        signed = fields.get("SignedHeaders", "").split(";")
        if not {"content-type", "host"} <= set(signed):
            problems.append("SignedHeaders must include content-type and host")
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                "".join(
                    f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed
                ),  # key and value lower case
                ";".join(signed),
                hashlib.sha256(request.get_data()).hexdigest(),
            ]
        )
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        key = ("TC3" + TENCENT_KEY).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            problems.append("Signature does not match")
        return problems

    def handle(self):
        if self.hang:
            time.sleep(self.hang)
        problems = self.check()
        self.problems.extend(problems)
        body = request.get_json(silent=True) or {}
        self.received.append(body)
        request_id = secrets.token_hex(8)
        if problems:
            answer = {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "; ".join(problems)}}
        else:
            code = self.next_code("Ok")
            if code.startswith(("AuthFailure", "InternalError", "RequestLimitExceeded")):
                answer = {"Error": {"Code": code, "Message": "stand-in refusal"}}
            else:
                answer = {
                    "SendStatusSet": [
                        {
                            "SerialNo": "5000:1045710669157053657849499619",
                            "PhoneNumber": body.get("PhoneNumberSet", [""])[0],
                            "Fee": 1,
                            "SessionContext": body.get("SessionContext", ""),
                            "Code": code,
                            "Message": "send success" if code == "Ok" else "stand-in refusal",
                            "IsoCode": "CN",
                        }
                    ]
                }
        return Response(
            json.dumps({"Response": {**answer, "RequestId": request_id}}), mimetype="application/json"
        )
