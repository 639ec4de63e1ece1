"""Real refund providers behind `RefundGateway`: Alipay open platform, WeChat Pay API v3, bank card by hand.

Each adapter speaks its provider's documented wire format (signing, verification, amounts, statuses);
the sandbox-protocol adapters in `portal.payouts.gateways` remain the development default. How an
operator switches one on: docs/providers.md.
"""
