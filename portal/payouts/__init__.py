"""Refund execution: the money goes back by the original route, exactly once.

Modules: states (payout states, retry schedule), receiving (offline receiving accounts), signing
(sandbox HMAC), gateways (interface + Alipay / WeChat Pay / bank card adapters), services (schedule,
execute, query, notifications, periodic poll), manual (offline transfers, staff actions, the
customer's word), jobs (RQ entry points), views.
The SANDBOX gateway itself is a development tool outside the product: devtools/sandbox.

Settings (app config; REFUND_<KEY> in the environment, JSON for lists and dicts):
    PAYMENT_GATEWAY_URL        base URL of the gateway (the sandbox: http://127.0.0.1:5055)
    PAYMENT_GATEWAY_SECRET     HMAC key shared with the sandbox (its run command reads the same variable)
    PAYMENT_GATEWAY_MERCHANT_ID
    PAYMENT_GATEWAY_TIMEOUT    seconds before a gateway call counts as "no answer" (5)
    PAYMENT_GATEWAY_ROUTES     per route: {"alipay": {"url", "merchant_id", "secret", "timeout", ...}}
    PAYMENT_GATEWAY_ADAPTERS   per route: dotted path of a RefundGateway class (real providers)
    PAYOUT_NOTIFY_BASE_URL     the portal's URL as gateways reach it (http://127.0.0.1:5000)
    PAYOUT_MAX_FAILURES        definite failures before a payout goes to staff (3)
    PAYOUT_RETRY_DELAYS        seconds before each retry ([60, 300, 1800, 3600])
    PAYOUT_QUERY_AFTER         seconds in "submitted" before the query API is asked (60)
    PAYOUT_LEASE_SECONDS       how long a worker owns a payout while calling the gateway (120)
"""
