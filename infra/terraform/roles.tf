# The account roles of docs/governance.md and their hierarchy, created and granted as SECURITYADMIN, which owns
# them. Only here: the migrations grant no role (the deploy role owns none and holds no MANAGE GRANTS; see
# grants.tf). The local stack stands in for this file (infra/local/migrations.py reads these locals).
locals {
  roles = {
    WHOOP_ADMIN      = "Platform administrator and migration owner: runs the app (app_admin), owns REPORTING"
    WHOOP_ANALYST    = "Analysts: the REPORTING views (PII masked) plus a sandbox schema"
    WHOOP_BI         = "Power BI service role: reads the REPORTING secure views only"
    WHOOP_PII_READER = "Sees member PII unmasked in the REPORTING views; granted to named people, never to BI"
    WHOOP_VIEWER     = "Athletes and coaches: the REPORTING views, rows of the members the app maps their user to"
  }

  # child role => parent role (the parent inherits the child's privileges)
  hierarchy = {
    WHOOP_BI         = "WHOOP_ANALYST"
    WHOOP_ANALYST    = "WHOOP_ADMIN"
    WHOOP_PII_READER = "WHOOP_ADMIN"
    WHOOP_VIEWER     = "WHOOP_ADMIN"
    WHOOP_ADMIN      = "SYSADMIN"
  }
}

resource "snowflake_account_role" "platform" {
  provider = snowflake.securityadmin
  for_each = local.roles

  name    = each.key
  comment = each.value
}

resource "snowflake_grant_account_role" "hierarchy" {
  provider = snowflake.securityadmin
  for_each = local.hierarchy

  role_name        = snowflake_account_role.platform[each.key].name
  parent_role_name = each.value
}
