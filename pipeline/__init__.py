"""dl500: the source of record and publishing pipeline of Deep Learning 500 Questions."""

__version__ = "0.1.0"
