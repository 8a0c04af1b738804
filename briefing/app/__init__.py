"""App: the command line (and the editor's desk to come).

Thin: parses options, calls the library, turns library errors into one line.
"""
