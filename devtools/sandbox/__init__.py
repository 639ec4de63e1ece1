"""The SANDBOX payment gateway: stands in for Alipay, WeChat Pay and the bank in development and tests.

app.py (the WSGI app), providers.py (the refund APIs), admin.py (switches), state.py (switches, settler,
notifier), ledger.py (the books), server.py (served in a thread for tests), __main__.py (the command).
"""
