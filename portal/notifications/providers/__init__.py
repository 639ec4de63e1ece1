"""Real SMS providers behind `SmsBackend`: Aliyun SMS (Dysmsapi) and Tencent Cloud SMS, over their HTTP APIs.

Both send pre-approved templates: the template code of each event comes from SMS_TEMPLATE_CODES, its
parameters are the event's short SMS parameters. How an operator switches one on: docs/providers.md.
"""
