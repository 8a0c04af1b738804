"""Delivery: who receives the brief (`subscribers.py`) and how it is sent."""
