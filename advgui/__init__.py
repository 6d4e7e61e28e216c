"""advgui: see how easily an image classifier is fooled by gradient-sign attacks."""

__version__ = "0.1.0"
