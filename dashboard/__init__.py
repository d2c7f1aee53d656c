"""The Streamlit dashboard: pages, charts and cached reads over the store."""
