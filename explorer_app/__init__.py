"""The Streamlit layer: everything that imports streamlit besides the page scripts.

Arrows run one way: ``app.py`` and ``pages/*.py`` -> ``explorer_app`` -> ``graphviz_core``;
the core never imports streamlit or this package.

* :mod:`explorer_app.chrome`   the sidebar's list of pages, presentation mode, tables, text
* :mod:`explorer_app.server`   settings of the serving process (``configure()``), caches
* :mod:`explorer_app.session`  the Explorer's session model as plain functions on a mapping
  (which widget values are kept, a first visit, which targets follow an edit): tested
  without Streamlit
* :mod:`explorer_app.explorer` the Explorer page's sections (controls, graph, tabs)
* :mod:`explorer_app.lane`     a low-priority child process that runs costly programs, so a
  class's reruns do not queue behind them
"""
