"""The bottom layer: what every other layer needs and that needs nothing of ours."""
