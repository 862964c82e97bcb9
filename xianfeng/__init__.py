"""Xianfeng (先锋): the composition root — configuration, CLI and process wiring."""
