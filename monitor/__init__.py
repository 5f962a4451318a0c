"""monitor: the compliance scheduler for certified industrial clusters (动态管理)."""

__version__ = "0.1.0"
