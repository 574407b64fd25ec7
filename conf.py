"""Sphinx configuration for the pinlab guide (sources in book/, output in _build/html).

Build with ``nox -s book``, or ``sphinx-build -n -W --keep-going -c . book _build/html``.
Notebooks are not executed here: the guide shows the outputs that nbval validated.
"""

project = "pinlab"
author = "the pinlab team"
copyright = "2026, the pinlab team"

extensions = ["myst_nb", "sphinx_copybutton"]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "conftest.py", "workspace"]
root_doc = "index"

# The committed outputs are the ones nbval compares; building must not re-run the labs.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "pinlab: libraries must not pin with =="
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    # sphinx-book-theme puts a search field in the sidebar; pydata-sphinx-theme 0.20 adds a second
    # one in a header bar unless this is set (pynucastro/pynucastro#1427). One search field is enough.
    "navbar_persistent": [],
}
# Relative to this file's folder (the configuration directory), not to book/.
html_static_path = ["book/_static"]
html_css_files = ["pinlab.css"]  # long output lines wrap instead of hiding past a scroll bar
# Without a default mode, a first visit (empty localStorage) logs "Got invalid theme mode: ."
# as a console error (pydata/pydata-sphinx-theme#1635); tests/test_guide_in_browser.py checks.
html_context = {"default_mode": "auto"}

# Copy only the command, never the "$ " prompt or the output.
copybutton_prompt_text = r"\$ |>>> "
copybutton_prompt_is_regexp = True
