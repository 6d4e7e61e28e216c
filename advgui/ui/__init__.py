"""The Qt window. Views render state and send requests; workers are the only bridge to the engine."""
