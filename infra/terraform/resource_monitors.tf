# Monthly credit quota per workload: notify at monitor_notify_percent, suspend (after running queries) at
# monitor_suspend_percent, suspend immediately at monitor_suspend_immediate_percent.
resource "snowflake_resource_monitor" "workload" {
  provider = snowflake.accountadmin
  for_each = var.warehouses

  name                      = "WHOOP_${each.key}_RM"
  credit_quota              = each.value.monthly_credit_quota
  frequency                 = "MONTHLY"
  start_timestamp           = var.monitor_start_timestamp
  notify_users              = var.monitor_notify_users
  notify_triggers           = var.monitor_notify_percent
  suspend_trigger           = var.monitor_suspend_percent
  suspend_immediate_trigger = var.monitor_suspend_immediate_percent
}
