output "warehouses" {
  description = "Workload => warehouse name (WHOOP_INGEST_WH, ...); the app's setup and Power BI refer to these."
  value       = { for k, w in snowflake_warehouse.workload : k => w.name }
}

output "resource_monitors" {
  description = "Workload => resource monitor name and its monthly credit quota."
  value       = { for k, m in snowflake_resource_monitor.workload : k => { name = m.name, credit_quota = m.credit_quota } }
}

output "roles" {
  description = "The platform's account roles (see docs/governance.md)."
  value       = sort([for r in snowflake_account_role.platform : r.name])
}

output "ci_deploy_user" {
  description = "Service user for the GitHub Actions deploy workflow (SNOWFLAKE_USER in the deploy environment)."
  value       = snowflake_service_user.ci_deploy.name
}

output "powerbi_user" {
  description = "Service user for the Power BI connection (docs/setup-guide.md, Connecting Power BI)."
  value       = snowflake_service_user.powerbi.name
}

output "cost_tags" {
  description = "Fully qualified names of the cost tags set on the warehouses."
  value       = [snowflake_tag.cost_center.fully_qualified_name, snowflake_tag.workload.fully_qualified_name]
}
