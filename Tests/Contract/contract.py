"""The Dintero contract test: drives the real stack so that the service's Dintero client makes
every call it makes (and the local sandbox gives every answer it gives, the errors included),
then checks every recorded request and answer, return redirect and callback against the
schemas in dintero-contract.json, written from Dintero's published Checkout API specification.
    usage (Tests/Contract/run.sh): contract.py  (SERVICE_URL, SANDBOX_URL, API_KEY, RECORD)"""
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

SERVICE, SANDBOX, KEY, RECORD = (os.environ[name] for name in ("SERVICE_URL", "SANDBOX_URL", "API_KEY", "RECORD"))
HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = json.load(open(os.path.join(HERE, "dintero-contract.json")))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method, url, body=None, headers=None, form=False):
    """(status, headers, body as JSON or text); never follows a redirect."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, error.headers, error.read()
    try:
        return status, head, json.loads(raw)
    except ValueError:
        return status, head, raw.decode(errors="replace")


def api(method, path, body=None, key=None):
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return call(method, SERVICE + path, body, headers)


def control(path, body=None):
    status, _, answer = call("POST", SANDBOX + path, body if body is not None else {})
    assert status == 200, (path, status, answer)
    return answer


def order(amount=29900):
    status, _, created = api("POST", "/orders", {"amount": amount, "currency": "NOK"})
    assert status == 200, created
    return created


def pay(created, outcome="AUTHORIZED", cancel=False):
    """The shopper on the hosted page: pays with `outcome` or cancels; then comes back."""
    link = created["links"][0]["href"]
    status, head, _ = call("POST", link + ("/cancel" if cancel else "/pay"), None if cancel else {"outcome": outcome}, form=True)
    assert status == 302, (link, status)
    back = head["Location"]
    call("GET", back, headers={"Accept": "application/json"})
    return urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)


PROBE = {"Contract-Probe": "1"}  # the test asking the sandbox itself, not the service's client


def probe(method, path, body=None, headers=None):
    return call(method, SANDBOX + path, body, {**PROBE, **(headers or {})})


def basic(secret="sandbox-secret"):
    """The sandbox client's HTTP Basic credentials, with `secret`."""
    return {"Authorization": "Basic " + base64.b64encode(f"sandbox-client:{secret}".encode()).decode()}


def token(account="T12345678"):
    return probe("POST", f"/v1/accounts/{account}/auth/token",
                 {"grant_type": "client_credentials", "audience": f"https://test.dintero.com/v1/accounts/{account}"}, basic())


def drive():
    paid = order()
    transaction = pay(paid)["transaction_id"][0]
    assert api("POST", f"/orders/{paid['id']}/capture", {"amount": 10000}, key="c1")[0] == 200
    assert api("POST", f"/orders/{paid['id']}/capture", key="c2")[0] == 200
    assert api("POST", f"/orders/{paid['id']}/refund", {"amount": 5000}, key="r1")[0] == 200
    voided = order()
    pay(voided)
    assert api("POST", f"/orders/{voided['id']}/void", key="v1")[0] == 200
    assert api("POST", f"/orders/{order()['id']}/cancel")[0] == 200
    for outcome in ("DECLINED", "FAILED", "ON_HOLD", "CAPTURED"):
        pay(order(), outcome)
    pay(order(), cancel=True)
    # Capture accepted for later (202), then settled.
    control("/__sandbox/operation-mode", {"asynchronous": True, "delay_ms": 0})
    later = order()
    pay(later)
    assert api("POST", f"/orders/{later['id']}/capture", key="a1")[0] == 202
    control("/__sandbox/operation-mode", {"asynchronous": False})
    # Tokens expire (401, then a new token); a token request refused with 429 (injected).
    control("/__sandbox/expire-tokens")
    order()
    control("/__sandbox/expire-tokens")
    control("/__sandbox/faults", {"endpoint": "token", "status": 429, "count": 1})
    status, _, refused = api("POST", "/orders", {"amount": 29900, "currency": "NOK"})
    assert status == 503, refused  # not sent: retry later
    # The sandbox's own refusals, asked directly: another account (403), wrong credentials and
    # no token (401), a malformed token request (400), unknown session and transaction (404),
    # operations Dintero's rules refuse (400), a session cancelled twice (400).
    assert token("T99999999")[0] == 403
    assert probe("POST", "/v1/accounts/T12345678/auth/token", {"grant_type": "client_credentials", "audience": "x"}, basic("wrong"))[0] == 401
    assert probe("POST", "/v1/accounts/T12345678/auth/token", {"grant_type": "password", "audience": "x"}, basic())[0] == 400
    bearer = {"Authorization": "Bearer " + token()[2]["access_token"]}
    assert probe("GET", f"/v1/transactions/{transaction}")[0] == 401
    assert probe("GET", "/v1/transactions/T12345678.unknown", headers=bearer)[0] == 404
    assert probe("GET", "/v1/sessions/T12345678.unknown", headers=bearer)[0] == 404
    assert probe("POST", f"/v1/transactions/{transaction}/capture", {"amount": 99999999}, bearer)[0] == 400
    assert probe("POST", f"/v1/transactions/{transaction}/refund", {"amount": 99999999}, bearer)[0] == 400
    assert probe("POST", f"/v1/transactions/{transaction}/void", {}, bearer)[0] == 400
    cancelled = order()
    session = cancelled["links"][0]["href"].rsplit("/", 1)[-1]
    assert probe("POST", f"/v1/sessions/{session}/cancel", None, bearer)[0] == 200
    assert probe("POST", f"/v1/sessions/{session}/cancel", None, bearer)[0] == 400
    # Callbacks are sent on threads of the sandbox's: wait until their number stops changing.
    seen, still = -1, 0
    for _ in range(100):
        _, _, stats = call("GET", SANDBOX + "/__sandbox/stats")
        count = stats["callback_attempts"]
        still = still + 1 if count == seen else 0
        seen = count
        if still >= 5:
            break
        time.sleep(0.1)


def check():
    violations, seen = [], {}
    operations = [(re.compile(op["path"]), op) for op in CONTRACT["operations"]]
    def validate(schema, instance, where):
        for error in jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(instance):
            violations.append(f"{where}: {error.message} at {list(error.absolute_path)}")
    records = [json.loads(line) for line in open(RECORD)]
    for record in records:
        if record["kind"] == "callback":
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(record["url"]).query))
            validate(CONTRACT["callback"], query, f"callback {record['url']}")
            seen.setdefault("callback", set()).add(record["method"])
            continue
        method, path, status = record["method"], record["path"], record["status"]
        if path.startswith("/v1/view/"):
            if status == 302 and record["location"]:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(record["location"]).query))
                validate(CONTRACT["return"], query, f"return from {path}")
                seen.setdefault("return", set()).add(query.get("error", "paid"))
            continue
        op = next((op for pattern, op in operations if op["method"] == method and pattern.match(path)), None)
        if op is None:
            violations.append(f"{method} {path}: not an operation of the contract")
            continue
        name = op["operation"]
        if record["probe"]:
            pass  # the test's own request to the sandbox: only the answer is the contract's
        elif op["request"] is not None and record["request_type"] == "application/json":
            validate(op["request"], record["request"], f"{name} request")
        elif op["request"] is not None and op["request"].get("required"):
            violations.append(f"{name}: request without a JSON body")
        if record["fault"]:
            validate(CONTRACT["operations"][0]["responses"]["500"], record["response"], f"{name} injected {status}")
            seen.setdefault(name, set()).add(f"{status} (injected)")
            continue
        schema = op["responses"].get(str(status))
        if schema is None:
            violations.append(f"{name}: status {status} is not an answer the specification lists")
            continue
        validate(schema, record["response"], f"{name} {status}")
        seen.setdefault(name, set()).add(str(status))
    for op in CONTRACT["operations"]:
        if not any(s.startswith("2") for s in seen.get(op["operation"], ())):
            violations.append(f"{op['operation']}: never answered 2xx in the run")
    for name, statuses in sorted(seen.items()):
        print(f"  {name}: {', '.join(sorted(statuses))}")
    print(f"{len(records)} recorded exchanges and callbacks checked")
    return violations


if __name__ == "__main__":
    drive()
    problems = check()
    for problem in problems:
        print("VIOLATION", problem)
    sys.exit(1 if problems else 0)
