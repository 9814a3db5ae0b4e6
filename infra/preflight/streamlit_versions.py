"""The Streamlit versions a Native App's Streamlit may pin, and the Streamlit features Snowflake lists as
unsupported. (Placeholder data read by the preflight engineer; the Streamlit owner reconciles it.)

Read from:
- https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit ("Supported versions of the
  Streamlit library"): "The Snowflake Native App Framework supports versions 1.22.0 and 1.26.0 of the
  Streamlit library. Support for newer versions of the Streamlit library will be included as they are
  released." The version is set by an environment.yml at the same level as the main file.
- Streamlit in Snowflake release notes, which add versions after that page was written:
  release-notes/2025/other/2025-04-14-sis (1.42.0), 2025-05-13-sis (1.44.0), 2025-07-15-sis (1.45.1),
  2025-08-12-sis (1.46), 2025-11-20-sis (1.47.0, 1.48.0, 1.49.1, 1.50.0, 1.51.0).
- https://docs.snowflake.com/en/developer-guide/streamlit/limitations ("Unsupported Streamlit features"):
  "The page_title, page_icon, and menu_items properties of the st.set_page_config command are not
  supported."
"""

from __future__ import annotations

NATIVE_APP_STREAMLIT_DOC = "https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit"
LIMITATIONS_DOC = "https://docs.snowflake.com/en/developer-guide/streamlit/limitations"

SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS: tuple[str, ...] = (
    "1.22.0",
    "1.26.0",
    "1.42.0",
    "1.44.0",
    "1.45.1",
    "1.46.0",
    "1.47.0",
    "1.48.0",
    "1.49.1",
    "1.50.0",
    "1.51.0",
)

# "st.<function>" (the call is unsupported) or "st.<function>(<keyword>=)" (that argument is unsupported)
# -> why (the page is LIMITATIONS_DOC).
UNSUPPORTED_FEATURES: dict[str, str] = {
    "st.set_page_config(page_title=)": "not supported in Streamlit in Snowflake",
    "st.set_page_config(page_icon=)": "not supported in Streamlit in Snowflake",
    "st.set_page_config(menu_items=)": "not supported in Streamlit in Snowflake",
}
