"""Writes: <entity>_<action>(...) with keyword arguments, each inside one transaction."""
