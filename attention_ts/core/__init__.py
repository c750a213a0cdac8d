"""The ground floor: the error every stage reports, safe file output, portable numerics, tables.

Imports nothing else of attention_ts (the layers are in .importlinter).
"""
