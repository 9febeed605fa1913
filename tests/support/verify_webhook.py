"""Verifies recorded webhook deliveries with the Standard Webhooks reference library.

Reads one JSON object from standard input: {"secrets": [...], "body": "...", "headers": {...}}
and prints a JSON list with, for each secret, whether the delivery verifies with it.
Needs the `standardwebhooks` package (`pip install standardwebhooks`).
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> None:
    request = json.load(sys.stdin)
    results = []
    for secret in request["secrets"]:
        try:
            Webhook(secret).verify(request["body"], request["headers"])
            results.append(True)
        except WebhookVerificationError:
            results.append(False)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
