# A small database of the platform's own: the cost tags live here (tags are schema objects).
resource "snowflake_database" "admin" {
  name    = "WHOOP_ADMIN_DB"
  comment = "WHOOP platform (${var.environment}): account-level governance objects (tags)"
}

resource "snowflake_schema" "tags" {
  database = snowflake_database.admin.name
  name     = "TAGS"
  comment  = "Cost and ownership tags"
}

resource "snowflake_tag" "cost_center" {
  database       = snowflake_database.admin.name
  schema         = snowflake_schema.tags.name
  name           = "COST_CENTER"
  comment        = "Chargeback: which budget pays for this object"
  allowed_values = [var.cost_center]
}

resource "snowflake_tag" "workload" {
  database       = snowflake_database.admin.name
  schema         = snowflake_schema.tags.name
  name           = "WORKLOAD"
  comment        = "Which workload of the WHOOP platform the object serves"
  allowed_values = [for k in keys(var.warehouses) : lower(k)]
}

# schemachange's change history (migrations/schemachange-config.yml, change-history-table
# WHOOP_ADMIN_DB.SCHEMACHANGE.CHANGE_HISTORY). schemachange creates the table (create-change-history-table) and
# the schema when it is missing, but never the database (github.com/Snowflake-Labs/schemachange, README "Change
# History Table"), so the database and schema are created here and the deploy role gets only what creating and
# writing its table needs (grants.tf, deploy_change_history_*); it owns the table it creates.
resource "snowflake_schema" "schemachange" {
  database = snowflake_database.admin.name
  name     = "SCHEMACHANGE"
  comment  = "schemachange change history of migrations/ (CHANGE_HISTORY, created by the first deploy)"
}
