# Service users (TYPE = SERVICE: no password, no MFA prompts). CI deploys with WHOOP_ADMIN; Power BI reads
# with WHOOP_BI through WHOOP_BI_WH.
resource "snowflake_service_user" "ci_deploy" {
  provider = snowflake.securityadmin

  name              = "WHOOP_CI_DEPLOY_SVC"
  comment           = "GitHub Actions deploy (${var.environment}): schemachange migrations, snow app deploy/run"
  default_role      = snowflake_account_role.platform["WHOOP_ADMIN"].name
  default_warehouse = snowflake_warehouse.workload["TRANSFORM"].name
  rsa_public_key    = var.ci_deploy_rsa_public_key
}

resource "snowflake_service_user" "powerbi" {
  provider = snowflake.securityadmin

  name              = "WHOOP_POWERBI_SVC"
  comment           = "Power BI service connection (${var.environment}): reads REPORTING views only"
  default_role      = snowflake_account_role.platform["WHOOP_BI"].name
  default_warehouse = snowflake_warehouse.workload["BI"].name
  rsa_public_key    = var.powerbi_rsa_public_key
}

resource "snowflake_grant_account_role" "ci_deploy" {
  provider = snowflake.securityadmin

  role_name = snowflake_account_role.platform["WHOOP_ADMIN"].name
  user_name = snowflake_service_user.ci_deploy.name
}

resource "snowflake_grant_account_role" "powerbi" {
  provider = snowflake.securityadmin

  role_name = snowflake_account_role.platform["WHOOP_BI"].name
  user_name = snowflake_service_user.powerbi.name
}

# GitHub Actions OIDC (workload identity federation): the deploy workflow authenticates with a short-lived
# GitHub token instead of a stored key (snowflakedb/snowflake-cli-action@v2.0 with use-oidc: true).
# The provider has no argument for WORKLOAD_IDENTITY yet, so it is set with SQL.
resource "snowflake_execute" "ci_deploy_oidc" {
  provider = snowflake.securityadmin
  count    = var.ci_oidc_subject == null ? 0 : 1

  execute = "ALTER USER ${snowflake_service_user.ci_deploy.name} SET WORKLOAD_IDENTITY = (TYPE = OIDC ISSUER = 'https://token.actions.githubusercontent.com' SUBJECT = '${var.ci_oidc_subject}')"
  revert  = "ALTER USER ${snowflake_service_user.ci_deploy.name} UNSET WORKLOAD_IDENTITY"
}
