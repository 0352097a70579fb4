"""Image operations on numpy arrays (grayscale, threshold, Otsu, adaptive threshold)."""
