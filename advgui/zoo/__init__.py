"""Builders that turn published weights (numpy archives, Keras h5) into ONNX classifiers.

Build-time code: it needs onnx and numpy only, never torch or TensorFlow, and never Qt.
"""
