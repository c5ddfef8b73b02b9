"""Conformance suites that every implementation of a Kefu contract subclasses in its tests.

Each suite is a plain pytest class with an abstract factory method; a plugin's test module
subclasses it, implements the factory, and inherits every test. Third-party plugins do the same.
"""
