"""Snowflake's documented rules for a Native App, checked before deploy (`whoop preflight`).

Each rule lives in one module with the docs.snowflake.com page it comes from; the local warehouse
imports the same tables where it enforces a rule by running (the app's global privileges).
"""
