"""keyuan (客源): lawful, consent-first visitor attribution for property sales offices."""

__version__ = "0.1.0"
