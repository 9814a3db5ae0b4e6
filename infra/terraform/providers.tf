# Credentials come from variables (or the provider's SNOWFLAKE_* environment fallbacks): key-pair auth of the
# Terraform service user. One provider per system role, so each object is owned by the role Snowflake
# recommends: SYSADMIN for warehouses and the admin database, SECURITYADMIN for roles, users and grants,
# ACCOUNTADMIN for resource monitors (only ACCOUNTADMIN can create them).
#
# No preview resources are used, so preview_features_enabled stays empty; a resource type that is preview in
# provider 2.x (for example snowflake_external_access_integration, snowflake_dynamic_table, snowflake_table,
# snowflake_procedure_python, snowflake_stage) must be listed here or plan fails. tests/static/test_terraform.py
# checks that.
provider "snowflake" {
  organization_name        = var.snowflake_organization_name
  account_name             = var.snowflake_account_name
  user                     = var.terraform_user
  authenticator            = "SNOWFLAKE_JWT"
  private_key              = var.terraform_private_key
  role                     = "SYSADMIN"
  preview_features_enabled = []
}

provider "snowflake" {
  alias                    = "securityadmin"
  organization_name        = var.snowflake_organization_name
  account_name             = var.snowflake_account_name
  user                     = var.terraform_user
  authenticator            = "SNOWFLAKE_JWT"
  private_key              = var.terraform_private_key
  role                     = "SECURITYADMIN"
  preview_features_enabled = []
}

provider "snowflake" {
  alias                    = "accountadmin"
  organization_name        = var.snowflake_organization_name
  account_name             = var.snowflake_account_name
  user                     = var.terraform_user
  authenticator            = "SNOWFLAKE_JWT"
  private_key              = var.terraform_private_key
  role                     = "ACCOUNTADMIN"
  preview_features_enabled = []
}
