wrk.method = "POST"
wrk.body = '{"amount": 29900, "currency": "NOK", "receipt": "bench"}'
wrk.headers["Content-Type"] = "application/json"
