"""Model I/O: ONNX sessions, classifiers, preprocessing, class names, ground truth and image files."""
