terraform {
  required_version = ">= 1.5.0"

  required_providers {
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.20"
    }
  }

  # Configure a remote backend (with locking) before the first apply; local state for account-level
  # objects is a single point of failure. Example: backend "s3" { ... } or backend "azurerm" { ... }.
}
