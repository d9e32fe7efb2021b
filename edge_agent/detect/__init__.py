"""Detection: model, detector, imaging, regions, motion gate and debounced person state."""
