"""Shopper pages in a real browser (Debian's Chromium, headless): the Dintero order flow and
the hosted card page, against the real stack on loopback."""
import re
import time

import pytest

from conftest import SANDBOX, SERVICE, SHOP, api, sandbox


def create_order(amount=29900, currency="NOK", receipt="Order 1042"):
    status, _, order = api("POST", "/orders", {"amount": amount, "currency": currency, "receipt": receipt})
    assert status == 200, order
    return order


def create_payment(return_url, amount="1234"):
    status, _, payment = api("POST", "/payments", {"reference": "REF-77", "amount": amount, "returnUrl": return_url})
    assert status == 200, payment
    return payment


def pay_with_card(page, number, expiry="12/39", cvc="123", wait=True):
    """Fills the hosted card form as a shopper types it and presses Pay (without waiting for
    the answer when `wait` is false)."""
    page.fill("#cardno", number)
    page.fill("#enddate", expiry)
    page.fill("#cvc", cvc)
    page.get_by_role("button", name=re.compile("^Pay")).click(no_wait_after=not wait)


def wait_until(condition, attempts=300):
    """Polls `condition` (a barrier on the stack's state, not a duration) up to `attempts` times."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition never held")


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_order_pay_returns_to_a_page_that_says_paid(page, console):
    order = create_order()
    page.goto(order["links"][0]["href"])
    page.select_option("select[name=outcome]", "AUTHORIZED")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.wait_for_url(re.compile(re.escape(f"{SERVICE}/orders/{order['id']}/redirect")))
    text = page.inner_text("main")
    assert "Thank you!" in text
    assert "299.00 NOK" in text
    assert "Order 1042" in text
    assert "Paid" in text
    assert page.get_by_role("link", name="Back to Test Shop").get_attribute("href") == SHOP + "/home"
    assert api("GET", f"/orders/{order['id']}")[2]["status"] == "AUTHORIZED"
    assert console == []


def test_order_cancel_is_verified_and_shown_as_cancelled(page, console):
    order = create_order(amount=1500)
    page.goto(order["links"][0]["href"])
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(re.escape(f"{SERVICE}/orders/{order['id']}/redirect")))
    text = page.inner_text("main")
    assert "Payment cancelled" in text
    assert "Cancelled, nothing was charged" in text
    assert api("GET", f"/orders/{order['id']}")[2]["status"] == "CANCELLED"
    assert console == []
    # Reopening the cancelled session's page says cancelled, not "completed". Dintero answers a
    # closed session with 410, which Chromium reports as a failed load: the one message expected.
    response = page.goto(order["links"][0]["href"])
    assert response.status == 410
    assert "cancelled" in page.inner_text("h1").lower()
    assert console == ["console error: Failed to load resource: the server responded with a status of 410 (Gone)"]


def test_approved_card_lands_on_a_return_url_of_another_origin(page, console):
    payment = create_payment(f"{SHOP}/return?order=42")
    page.goto(payment["url"])
    pay_with_card(page, "4242 4242 4242 4242")
    page.wait_for_url(f"{SHOP}/return?order=42&status=ok&transactionId={payment['transactionId']}")
    assert page.inner_text("h1") == "Back at the shop"
    status, _, outcome = api("GET", f"/payments/{payment['transactionId']}")
    assert status == 200 and outcome["paymentId"]
    assert console == [], "no CSP violation or console error on the way"


@pytest.mark.parametrize("number, heading, says, back", [
    ("4000 0000 0000 0002", "Payment declined", "declined by its bank", "status=declined&transactionId={id}&reason=card_declined"),
    ("4000 0000 0000 9995", "Payment declined", "not enough funds", "status=declined&transactionId={id}&reason=insufficient_funds"),
    ("4000 0000 0000 0119", "Payment not completed", "could not complete the payment", "status=failed&transactionId={id}"),
])
def test_a_card_that_does_not_go_through_is_told_on_our_page(page, console, number, heading, says, back):
    """Issue 27, item 6: the shopper is told what happened, reopening the link says it again,
    and the way back tells the shop too."""
    payment = create_payment(f"{SHOP}/return?order=43")
    page.goto(payment["url"])
    pay_with_card(page, number)
    page.wait_for_url(payment["url"])
    assert page.inner_text("h1") == heading
    assert says in page.inner_text("main") and "Nothing was charged" in page.inner_text("main")
    page.goto(payment["url"])
    assert page.inner_text("h1") == heading
    page.get_by_role("link", name="Back to Test Shop").click()
    page.wait_for_url(f"{SHOP}/return?order=43&" + back.format(id=payment["transactionId"]))
    _, _, errors = api("GET", "/payments?status=error")
    assert payment["transactionId"] in [item["transactionId"] for item in errors]
    assert console == []


def test_a_slow_provider_shows_progress_and_ends_on_the_outcome(page, console):
    """Issue 27, item 7: while the provider has not answered, a second tap lands on a page
    that says the payment is in progress and not to pay again, which follows it by itself to
    the outcome. The provider's answer is held by the sandbox until the test releases it."""
    sandbox("POST", "/__sandbox/faults", {"endpoint": "provider", "hold": True, "status": 504, "count": 1})
    payment = create_payment(f"{SHOP}/return?order=46")
    page.goto(payment["url"])
    # The second tap: the same form, submitted again while the first is with the provider
    # (a second tab holds it, so the first tab's pending navigation is left alone).
    again = page.context.new_page()
    again.goto(payment["url"])
    pay_with_card(page, "4242 4242 4242 4242", wait=False)
    wait_until(lambda: sandbox("GET", "/__sandbox/stats")["held"].get("provider") == 1)
    pay_with_card(again, "4242 4242 4242 4242")
    again.wait_for_selector("h1:text-is('Payment in progress')")
    assert "do not pay again" in again.inner_text("main")
    assert again.locator("meta[http-equiv=refresh]").count() == 1
    assert sandbox("POST", "/__sandbox/release", {"endpoint": "provider"})["released"] == 1
    for shown in (page, again):
        shown.wait_for_selector("h1:text-is('Payment not completed')")
        assert shown.locator("meta[http-equiv=refresh]").count() == 0
    assert api("GET", "/payments?status=error")[2][0]["transactionId"] == payment["transactionId"]
    assert console == []


def test_cancel_and_go_back_is_recorded(page, console):
    """Issue 27, item 8: the cancel is recorded (ERROR, so the shop can tell it from a
    payment in progress) and the shop is told."""
    payment = create_payment(f"{SHOP}/return?order=47")
    page.goto(payment["url"])
    page.get_by_role("button", name="Cancel and go back to Test Shop").click()
    page.wait_for_url(f"{SHOP}/return?order=47&status=cancelled&transactionId={payment['transactionId']}")
    _, _, errors = api("GET", "/payments?status=error")
    assert payment["transactionId"] in [item["transactionId"] for item in errors]
    page.goto(payment["url"])
    assert page.inner_text("h1") == "Payment cancelled"
    assert console == []


def test_after_an_error_focus_is_on_the_summary_and_amounts_are_grouped(page, console):
    """Issue 27, item 9: focus moves to the error summary, the title says there is an error,
    and the amount reads with grouped thousands."""
    payment = create_payment(f"{SHOP}/return?order=48", amount="123456")
    page.goto(payment["url"])
    assert "£1,234.56" in page.inner_text("main")
    pay_with_card(page, "4242 4242 4242 4241")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Error: ")
    assert console == []


def test_order_pages_offer_a_way_forward(page, console):
    """Issue 27, item 9, the order side: a failed order offers to try again, an unconfirmed
    outcome can be checked again or paid on the still-open payment page."""
    order = create_order(amount=123456)
    page.goto(order["links"][0]["href"])
    page.select_option("select[name=outcome]", "DECLINED")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.wait_for_url(re.compile(re.escape(f"{SERVICE}/orders/{order['id']}/redirect")))
    assert "1,234.56 NOK" in page.inner_text("main")
    assert page.get_by_role("link", name="Try again at Test Shop").get_attribute("href") == SHOP + "/home"
    pending = create_order()
    # An error the service cannot confirm with Dintero (the session is still open) changes nothing.
    page.goto(f"{SERVICE}/orders/{pending['id']}/redirect?error=failed")
    assert page.inner_text("h1") == "Outcome not confirmed"
    assert page.get_by_role("link", name="Check again").count() == 1
    page.get_by_role("link", name="Return to the payment page").click()
    page.wait_for_url(pending["links"][0]["href"])
    assert [c for c in console if "status of 422" not in c] == []


def test_invalid_cvc_is_shown_next_to_the_cvc_and_the_number_is_kept(page, console):
    payment = create_payment(f"{SHOP}/return?order=44")
    page.goto(payment["url"])
    pay_with_card(page, "4242 4242 4242 4242", cvc="12")
    page.wait_for_selector("#cvc-error")
    assert page.get_attribute("#cvc", "aria-invalid") == "true"
    assert page.get_attribute("#cvc", "aria-describedby") == "cvc-error"
    assert "security code" in page.inner_text("#cvc-error")
    assert page.input_value("#cardno") == "4242 4242 4242 4242"
    assert page.input_value("#enddate") == "12/39"
    assert page.input_value("#cvc") == ""
    assert page.get_attribute("#cardno", "aria-invalid") is None
    # Corrected, it goes through.
    page.fill("#cvc", "123")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.wait_for_url(re.compile(re.escape(f"{SHOP}/return?order=44&status=ok&transactionId=")))
    assert console == []


def test_pages_fit_a_375px_phone_with_large_tap_targets(mobile, console):
    payment = create_payment(f"{SHOP}/return?order=45")
    mobile.goto(payment["url"])
    assert no_horizontal_scroll(mobile)
    for selector in ["#cardno", "#enddate", "#cvc", "form[action$='/card'] button", "form[action$='/cancel'] button"]:
        box = mobile.locator(selector).bounding_box()
        assert box["height"] >= 44, selector
    mobile.fill("#cardno", "1234")
    mobile.get_by_role("button", name=re.compile("^Pay")).click()
    mobile.wait_for_selector("#cardno-error")
    assert no_horizontal_scroll(mobile)
    order = create_order(receipt="A very long receipt text that must wrap on a small phone screen without scrolling sideways")
    mobile.goto(order["links"][0]["href"])
    mobile.get_by_role("button", name=re.compile("^Pay")).click()
    mobile.wait_for_url(re.compile(re.escape(f"{SERVICE}/orders/{order['id']}/redirect")))
    assert no_horizontal_scroll(mobile)
    assert console == []
