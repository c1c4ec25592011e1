"""Pure rules: no I/O, no framework. Everything here is easy to test in isolation."""
