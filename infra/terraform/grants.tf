# Warehouse USAGE per infra/governance/role_matrix.yml (`warehouses`); tests/static/test_terraform.py checks
# that these grants and the matrix agree. Grants on the reporting database live in migrations/R__20_grants.sql.
#
# Who grants what (least privilege). A GRANT needs OWNERSHIP of the object (for a role: of the role) or the
# account-wide MANAGE GRANTS (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege and
# https://docs.snowflake.com/en/sql-reference/sql/grant-role, "Access control requirements").
# - Account roles and their hierarchy are created and granted here as SECURITYADMIN (roles.tf), which owns
#   them; the migrations neither create roles nor grant them.
# - WHOOP_ADMIN, the role schemachange and `snow app deploy/run` run as, holds no MANAGE GRANTS (it would let
#   the CI user grant any privilege on any object, to any role, itself included) and owns no account role. It
#   grants only on what it creates and so owns: the reporting database, its schemas and views (migrations/),
#   and the application roles of the app it installs (the application's owner grants them).
# tests/static/test_migration_grants.py checks every GRANT in migrations/ against this.
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
# database, the e-mail integration, apply the policies, run alerts, create and install the app. No CREATE ROLE:
# roles are Terraform's (roles.tf).
resource "snowflake_grant_privileges_to_account_role" "admin_account" {
  provider = snowflake.accountadmin

  account_role_name = snowflake_account_role.platform["WHOOP_ADMIN"].name
  privileges = [
    "CREATE DATABASE",
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

# schemachange's change history (admin.tf): USAGE on the admin database, USAGE and CREATE TABLE on its schema.
resource "snowflake_grant_privileges_to_account_role" "deploy_change_history_database" {
  provider = snowflake.securityadmin

  account_role_name = snowflake_account_role.platform["WHOOP_ADMIN"].name
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.admin.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deploy_change_history_schema" {
  provider = snowflake.securityadmin

  account_role_name = snowflake_account_role.platform["WHOOP_ADMIN"].name
  privileges        = ["USAGE", "CREATE TABLE"]
  on_schema {
    schema_name = snowflake_schema.schemachange.fully_qualified_name
  }
}
