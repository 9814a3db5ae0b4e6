# Warehouse USAGE per infra/governance/role_matrix.yml (`warehouses`); tests/static/test_terraform.py checks
# that these grants and the matrix agree. Grants on the reporting database live in migrations/R__20_grants.sql.
locals {
  warehouse_users = {
    INGEST    = ["WHOOP_ADMIN"]
    TRANSFORM = ["WHOOP_ADMIN"]
    ML        = ["WHOOP_ADMIN"]
    BI        = ["WHOOP_BI"]
  }
  warehouse_grants = merge([
    for wh, roles in local.warehouse_users : { for role in roles : "${wh}:${role}" => { warehouse = wh, role = role } }
  ]...)
}

resource "snowflake_grant_privileges_to_account_role" "warehouse_usage" {
  provider = snowflake.securityadmin
  for_each = local.warehouse_grants

  account_role_name = snowflake_account_role.platform[each.value.role].name
  privileges        = ["USAGE", "MONITOR"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.workload[each.value.warehouse].name
  }
}

# What the migrations and `snow app deploy/run` need as WHOOP_ADMIN (the CI deploy role): create the reporting
# database and roles, the e-mail integration, apply the policies, run alerts, create and install the app.
resource "snowflake_grant_privileges_to_account_role" "admin_account" {
  provider = snowflake.accountadmin

  account_role_name = snowflake_account_role.platform["WHOOP_ADMIN"].name
  privileges = [
    "CREATE DATABASE",
    "CREATE ROLE",
    "CREATE INTEGRATION",
    "APPLY MASKING POLICY",
    "APPLY ROW ACCESS POLICY",
    "EXECUTE ALERT",
    "EXECUTE TASK",
    "CREATE APPLICATION PACKAGE",
    "CREATE APPLICATION",
  ]
  on_account = true
}
