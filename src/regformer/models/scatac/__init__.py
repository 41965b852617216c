"""scATAC models: atacFormer and the open-frequency baseline."""
