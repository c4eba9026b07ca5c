"""fitroom: a virtual fitting room that runs on a CPU, offline."""

__version__ = "0.1.0"
