"""Implementations of the ports on the local platform."""
