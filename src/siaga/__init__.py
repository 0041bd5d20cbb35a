"""Siaga: integrated emergency and humanitarian information system for Indonesia."""

__version__ = "0.1.0"
