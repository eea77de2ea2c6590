"""The browser dashboard (Streamlit): levers, live charts, comparisons, exports.

Start it with ``wakusim dashboard``; the Streamlit script is :mod:`.app`. The
other modules hold the logic the script uses, importable and testable without
Streamlit running.
"""
