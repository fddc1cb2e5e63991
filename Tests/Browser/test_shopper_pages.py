"""Shopper pages in a real browser (Debian's Chromium, headless): the Dintero order flow and
the hosted card page, against the real stack on loopback."""
import re

from conftest import SERVICE, SHOP, api


def create_order(amount=29900, currency="NOK", receipt="Order 1042"):
    status, _, order = api("POST", "/orders", {"amount": amount, "currency": currency, "receipt": receipt})
    assert status == 200, order
    return order


def create_payment(return_url, amount="1234"):
    status, _, payment = api("POST", "/payments", {"reference": "REF-77", "amount": amount, "returnUrl": return_url})
    assert status == 200, payment
    return payment


def pay_with_card(page, number, expiry="12/39", cvc="123"):
    """Fills the hosted card form as a shopper types it and presses Pay."""
    page.fill("#cardno", number)
    page.fill("#enddate", expiry)
    page.fill("#cvc", cvc)
    page.get_by_role("button", name=re.compile("^Pay")).click()


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
    page.wait_for_url(f"{SHOP}/return?order=42")
    assert page.inner_text("h1") == "Back at the shop"
    status, _, outcome = api("GET", f"/payments/{payment['transactionId']}")
    assert status == 200 and outcome["paymentId"]
    assert console == [], "no CSP violation or console error on the way"


def test_declined_card_also_lands_on_the_return_url_and_is_an_error(page, console):
    payment = create_payment(f"{SHOP}/return?order=43")
    page.goto(payment["url"])
    pay_with_card(page, "4000 0000 0000 0002")
    page.wait_for_url(f"{SHOP}/return?order=43")
    _, _, errors = api("GET", "/payments?status=error")
    assert payment["transactionId"] in [item["transactionId"] for item in errors]
    assert console == []


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
    page.wait_for_url(f"{SHOP}/return?order=44")
    assert console == []


def test_pages_fit_a_375px_phone_with_large_tap_targets(mobile, console):
    payment = create_payment(f"{SHOP}/return?order=45")
    mobile.goto(payment["url"])
    assert no_horizontal_scroll(mobile)
    for selector in ["#cardno", "#enddate", "#cvc", "button[type=submit]"]:
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
