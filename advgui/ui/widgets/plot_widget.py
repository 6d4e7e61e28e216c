"""Our one way to make a pyqtgraph plot: without pyqtgraph's own context menus.

pyqtgraph gives each plot a right-click 'Plot Options' menu (FFT, log axes, downsampling...) and
an axis menu: tools that would turn a lesson's probability bars into something else, beside our
own File › Save Charts. They are also parentless Qt widget trees in Python reference cycles, so
only the garbage collector frees them, running Qt's destructors at whatever moment it runs: a
~QMenu in such a collection was one side of a hang seen here (ui/workers/collector.py). With the
menus off and the one pyqtgraph makes regardless parented to the plot, a plot's Qt objects are
deleted with its window, by Qt."""

from __future__ import annotations

import pyqtgraph as pg


def plot_widget(**kwargs) -> pg.PlotWidget:
    return own_options_menu(pg.PlotWidget(enableMenu=False, **kwargs))


def own_options_menu(plot: pg.PlotWidget) -> pg.PlotWidget:
    """For a PlotWidget made with enableMenu=False (a subclass calls this in its __init__)."""
    options = plot.getPlotItem().ctrlMenu  # made whatever enableMenu says
    options.setParent(plot, options.windowFlags())  # keeps it a popup, never shown
    return plot
