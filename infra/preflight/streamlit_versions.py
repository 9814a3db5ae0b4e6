"""The Streamlit versions and features a Native App's Streamlit (warehouse runtime) gets in Snowflake.

A local run cannot show either rule: the tests run whatever Streamlit pip installed, while in Snowflake the app
runs the version its `environment.yml` pins (conda, Snowflake Anaconda channel), and only from Snowflake's list.

Read from:
- https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit
  "The Snowflake Native App Framework supports the same versions of the Streamlit library as Streamlit in
  Snowflake" (warehouse runtime); the version is set by `streamlit=<version>` in an `environment.yml` at the same
  level as the main file, else 1.22.0 applies; "Warehouse runtime unsupported features" (the list below);
  Streamlit in a warehouse runtime runs with owner's rights only.
- https://docs.snowflake.com/en/developer-guide/streamlit/app-development/dependency-management
  #label-streamlit-supported-streamlit-versions-on-warehouses (the version list; release notes add to it, e.g.
  https://docs.snowflake.com/en/release-notes/2025/other/2025-11-20-sis for 1.47.0 to 1.51.0).

One place for both lists: tests/static/test_streamlit_pin.py checks app/streamlit/ against them.
"""

from __future__ import annotations

ADDING_STREAMLIT = "https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit"
SUPPORTED_VERSIONS_URL = (
    "https://docs.snowflake.com/en/developer-guide/streamlit/app-development/dependency-management"
    "#label-streamlit-supported-streamlit-versions-on-warehouses"
)

# Newest first, as the page lists them. A version not listed here does not run in a warehouse runtime.
SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS: tuple[str, ...] = (
    "1.52.2",
    "1.52.1",
    "1.52.0",
    "1.51.0",
    "1.50.0",
    "1.49.1",
    "1.48.0",
    "1.47.0",
    "1.46.1",
    "1.45.1",
    "1.45.0",
    "1.44.1",
    "1.44.0",
    "1.42.0",
    "1.39.0",
    "1.35.0",
    "1.31.1",
    "1.29.0",
    "1.26.0",
    "1.22.0",
)

# What a Native App gets without an environment.yml pin ("Streamlit version 1.22.0 is set as the default").
DEFAULT_NATIVE_APP_STREAMLIT_VERSION = "1.22.0"

# "Warehouse runtime unsupported features" of adding-streamlit: Streamlit calls (as `st.<name>`) an app's pages
# must not make. st.set_page_config itself is allowed; only the arguments in UNSUPPORTED_PAGE_CONFIG_ARGS are not.
# st.download_button is listed as "only supported in Streamlit version 1.26 or later", so it is not here.
# st.file_uploader was on that list too, but is generally available in Streamlit in Snowflake since
# https://docs.snowflake.com/en/release-notes/2025/other/2025-03-12-sis, and the warehouse runtime's limit is
# "File uploads: 200 MB" (https://docs.snowflake.com/en/developer-guide/streamlit/limitations), the runtime a Native
# App's Streamlit uses. The Setup page's upload has a path that needs no widget should an install still lack it:
# `whoop import-export PATH --member NAME --connection NAME` (PUT to the same stage, the same procedure).
UNSUPPORTED_FEATURES: tuple[str, ...] = (
    "bokeh_chart",
    "cache_data",
    "cache_resource",
    "camera_input",
    "image",
    "pyplot",
    "scatter_chart",
    "video",
    "components",  # custom components, including components.v1.html() and components.v1.iframe()
    "experimental_set_query_params",
    "experimental_get_query_params",
)
UNSUPPORTED_PAGE_CONFIG_ARGS: tuple[str, ...] = ("page_title", "page_icon")
# Also listed, not calls: Streamlit configuration files (.streamlit/config.toml), network access to the internet,
# anchor links, Azure Private Link / Google Cloud Private Service Connect access to the app.
UNSUPPORTED_FILES: tuple[str, ...] = (".streamlit/config.toml",)
