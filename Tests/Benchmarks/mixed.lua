-- Mixed write and read load for the WAL scenario: order creates (with the sandbox session
-- call), payment creates, and list reads that keep read transactions overlapping.
local n = 0
request = function()
    n = n + 1
    local k = n % 3
    if k == 0 then
        return wrk.format("POST", "/orders", {["Content-Type"] = "application/json"},
            '{"amount": 29900, "currency": "NOK", "receipt": "wal"}')
    elseif k == 1 then
        return wrk.format("POST", "/payments", {["Content-Type"] = "application/json"},
            '{"reference": "WAL", "amount": "1200", "returnUrl": "http://127.0.0.1:9/r"}')
    else
        return wrk.format("GET", "/orders?limit=20")
    end
end
