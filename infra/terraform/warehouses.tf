# One warehouse per workload, each with its own resource monitor and cost tags, so a runaway workload is
# stopped without stopping the others and each workload's credits show separately.
# Created as ACCOUNTADMIN: only ACCOUNTADMIN may attach a resource monitor to a warehouse.
resource "snowflake_warehouse" "workload" {
  provider = snowflake.accountadmin
  for_each = var.warehouses

  name                = "WHOOP_${each.key}_WH"
  warehouse_size      = each.value.size
  warehouse_type      = each.value.warehouse_type
  auto_suspend        = each.value.auto_suspend_seconds
  auto_resume         = true
  initially_suspended = true
  resource_monitor    = snowflake_resource_monitor.workload[each.key].name
  comment             = "WHOOP platform (${var.environment}): ${lower(each.key)} workload"
}

resource "snowflake_tag_association" "warehouse_cost_center" {
  object_type        = "WAREHOUSE"
  object_identifiers = [for w in snowflake_warehouse.workload : w.fully_qualified_name]
  tag_id             = snowflake_tag.cost_center.fully_qualified_name
  tag_value          = var.cost_center
}

resource "snowflake_tag_association" "warehouse_workload" {
  for_each = var.warehouses

  object_type        = "WAREHOUSE"
  object_identifiers = [snowflake_warehouse.workload[each.key].fully_qualified_name]
  tag_id             = snowflake_tag.workload.fully_qualified_name
  tag_value          = lower(each.key)
}
