"""Implementation of the iotests module (see iotests.py)."""
