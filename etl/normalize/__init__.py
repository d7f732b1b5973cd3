"""Normalization: text cleaning, date parsing, reference mapping and personal-data removal (vectorized pandas)."""
