# --- connection ---------------------------------------------------------------------------------------------

variable "snowflake_organization_name" {
  description = "Snowflake organization name (the first part of the account identifier ORG-ACCOUNT)."
  type        = string
}

variable "snowflake_account_name" {
  description = "Snowflake account name within the organization (the second part of ORG-ACCOUNT)."
  type        = string
}

variable "terraform_user" {
  description = "The user Terraform connects as (key-pair auth); needs SYSADMIN, SECURITYADMIN and ACCOUNTADMIN."
  type        = string
}

variable "terraform_private_key" {
  description = "PEM private key of terraform_user (pass through TF_VAR_terraform_private_key, never a file in git)."
  type        = string
  sensitive   = true
}

# --- environment --------------------------------------------------------------------------------------------

variable "environment" {
  description = "Environment name (dev, prod); used in comments and the cost tag, so one account per environment."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "test", "prod"], var.environment)
    error_message = "environment must be dev, test or prod."
  }
}

variable "cost_center" {
  description = "Value of the COST_CENTER tag set on every warehouse (for chargeback in ACCOUNT_USAGE.TAG_REFERENCES)."
  type        = string
  default     = "whoop-data-platform"
}

# --- warehouses and resource monitors -----------------------------------------------------------------------

variable "warehouses" {
  description = <<-EOT
    One warehouse per workload: ingest (the app's task graph calling the WHOOP API), transform (Gold dynamic
    tables, quality checks, migrations), ml (training and scoring), bi (Power BI). size is a Snowflake
    warehouse size; auto_suspend_seconds is how long it idles before suspending (each resume bills >= 60 s);
    monthly_credit_quota caps the workload's resource monitor.
  EOT
  type = map(object({
    size                 = string
    auto_suspend_seconds = number
    monthly_credit_quota = number
    warehouse_type       = optional(string, "STANDARD")
  }))
  default = {
    INGEST    = { size = "XSMALL", auto_suspend_seconds = 60, monthly_credit_quota = 20 }
    TRANSFORM = { size = "XSMALL", auto_suspend_seconds = 60, monthly_credit_quota = 40 }
    ML        = { size = "SMALL", auto_suspend_seconds = 60, monthly_credit_quota = 20 }
    BI        = { size = "XSMALL", auto_suspend_seconds = 300, monthly_credit_quota = 20 }
  }

  validation {
    condition     = alltrue([for w in values(var.warehouses) : w.auto_suspend_seconds >= 60 && w.auto_suspend_seconds <= 600])
    error_message = "auto_suspend_seconds must be between 60 and 600: an idle warehouse should not bill for long."
  }
}

variable "monitor_start_timestamp" {
  description = "When the resource monitors start counting (YYYY-MM-DD HH:MM); credit usage resets monthly from then."
  type        = string
  default     = "2026-12-01 00:00"
}

variable "monitor_notify_users" {
  description = "Users e-mailed when a resource monitor reaches a notify threshold (they must have verified e-mails)."
  type        = list(string)
  default     = []
}

variable "monitor_notify_percent" {
  description = "Percentages of the monthly quota at which the monitors notify."
  type        = list(number)
  default     = [50, 75, 90]
}

variable "monitor_suspend_percent" {
  description = "Percentage of the quota at which a warehouse suspends after its running queries finish."
  type        = number
  default     = 100
}

variable "monitor_suspend_immediate_percent" {
  description = "Percentage of the quota at which a warehouse suspends at once, cancelling running queries."
  type        = number
  default     = 110
}

# --- service users ------------------------------------------------------------------------------------------

variable "ci_deploy_rsa_public_key" {
  description = "Public key (PEM body, no header lines) of the CI deploy service user; null when CI uses OIDC only."
  type        = string
  default     = null
}

variable "ci_oidc_subject" {
  description = <<-EOT
    GitHub Actions OIDC subject the CI deploy user trusts, e.g. repo:ORG/REPO:environment:prod; null disables
    workload identity federation (key pair only). Set with ALTER USER ... SET WORKLOAD_IDENTITY.
  EOT
  type        = string
  default     = null
}

variable "powerbi_rsa_public_key" {
  description = "Public key (PEM body) of the Power BI service user, used by the gateway or the service connection."
  type        = string
  default     = null
}
