"""Ingest: files, folders, stdin, web pages and feeds become `Article`s.

Folding syndicated copies (`syndication`) and detecting languages (`language`) are steps of
their own, run by the pipeline after reading.
"""
