"""One module per documented Snowflake rule. Each has `RULE` (its id), `DOC` (the docs.snowflake.com page
it comes from, quoted in the module docstring) and `check(project) -> list[Finding]`."""
