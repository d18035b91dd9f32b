"""Sources read the outside world and produce one Inventory; nothing downstream knows where
data came from."""
