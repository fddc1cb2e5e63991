"""make bench's failover row: clients creating orders (each with an Idempotency-Key, retried
until answered 200) against a stack on a PostgreSQL primary with a synchronous standby; the
primary is SIGKILLed, the standby promoted a fixed pause later. Prints the time from the
primary's loss and from the promotion to the first create answered again, the refusals, and
how many acknowledged creates the new primary lacks (0 is the promise).
    usage: failover.py SERVICE_URL POSTGRES_SH PRIMARY_DIR STANDBY_DIR NEW_PRIMARY_URL
Loopback only; bounded: 4 clients, at most 60 s."""
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

service, script, primary_dir, standby_dir, new_primary = sys.argv[1:6]
lock = threading.Lock()
acknowledged, refusals, answers = {}, {}, []  # key -> id; status -> count; (sent, answered, status)
stop = threading.Event()


def create(key):
    request = urllib.request.Request(service + "/orders", data=b'{"amount": 700, "currency": "NOK"}', method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return 0, None


def client(number):
    attempt = 0
    while not stop.is_set():
        attempt += 1
        key = f"bench-failover-{number}-{attempt}"
        while not stop.is_set():
            sent = time.monotonic()
            status, body = create(key)
            with lock:
                answers.append((sent, time.monotonic(), status))
                if status == 200:
                    acknowledged[key] = body["id"]
                else:
                    refusals[status] = refusals.get(status, 0) + 1
            if status == 200:
                break
            time.sleep(0.02)


threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
for thread in threads:
    thread.start()
deadline = time.monotonic() + 60
while time.monotonic() < deadline and len(acknowledged) < 200:
    time.sleep(0.05)
subprocess.run(["bash", script, "kill", primary_dir], check=True)
lost_at = time.monotonic()  # the postmaster is gone (the script waits for it)
time.sleep(1.0)  # the operator's (or cluster manager's) part, fixed here
promoted_at = time.monotonic()
subprocess.run(["bash", script, "promote", standby_dir], check=True)
while time.monotonic() < deadline:
    with lock:
        if any(sent > promoted_at and s == 200 for sent, _, s in answers):
            break
    time.sleep(0.05)
time.sleep(2)
stop.set()
for thread in threads:
    thread.join()
# The first create sent after the loss and answered 200: requests already under way when the
# primary died do not count.
first_after = min((done for sent, done, s in answers if sent > lost_at and s == 200), default=None)
ids = list(acknowledged.values())
found = subprocess.run(["psql", "-qAt", new_primary, "-c",
                        "SELECT count(*) FROM orders WHERE id = ANY('{" + ",".join(ids) + "}')"],
                       check=True, capture_output=True, text=True).stdout.strip()
lost = len(ids) - int(found)
seconds = "never" if first_after is None else f"{first_after - lost_at:.2f} s ({first_after - promoted_at:.2f} s after the promotion)"
print(f"  primary SIGKILLed -> first create answered again: {seconds}; "
      f"acknowledged creates {len(ids)}, lost {lost}; refusals meanwhile {dict(sorted(refusals.items()))}")
