"""Imported only by the forkserver (first in its preload list): it dies with the build that started it."""

from .lifeline import die_with_parent

die_with_parent()
