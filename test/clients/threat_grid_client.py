"""A Threat Grid user's script, unchanged but for the base URL: it submits a
sample with api_key as a form field, reads whoami and its rate limit, and
searches for the sample by sha256. Prints one JSON object with what it saw."""
import hashlib
import json
import os
import sys

import requests

BASE = os.environ["TG_BASE_URL"]
KEY = os.environ["TG_API_KEY"]
CA = os.environ["TG_CA_FILE"]
SAMPLE = os.environ["TG_SAMPLE_FILE"]

session = requests.Session()
session.verify = CA

with open(SAMPLE, "rb") as handle:
    content = handle.read()

submitted = session.post(
    BASE + "/api/v2/samples",
    files={"sample": ("report.pdf", content)},
    data={"api_key": KEY, "private": "True", "tags": "tg-script,esa", "vm": "win10"},
    timeout=30,
)
submitted.raise_for_status()
sample = submitted.json()["data"]

whoami = session.get(BASE + "/api/v3/session/whoami", params={"api_key": KEY}, timeout=30)
whoami.raise_for_status()
login = whoami.json()["data"]["login"]

limits = session.get(BASE + "/api/v3/users/%s/rate-limit" % login, params={"api_key": KEY}, timeout=30)
limits.raise_for_status()

sha256 = hashlib.sha256(content).hexdigest()
found = session.get(
    BASE + "/api/v2/search/submissions",
    params={"q": sha256, "api_key": KEY},
    timeout=30,
)
found.raise_for_status()

json.dump(
    {
        "sample": sample,
        "whoami": whoami.json()["data"],
        "rate_limit": limits.json()["data"],
        "search": found.json()["data"],
        "sha256": sha256,
    },
    sys.stdout,
)
