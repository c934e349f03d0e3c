"""`storegen migrate`: schema edits become numbered, replay-verified SQL migrations.

migrations/*.sql ─replay─▶ in-memory SQLite ─snapshot─┐
schema/*.sql ─IR─▶ DDL ─▶ in-memory SQLite ─snapshot──┴─diff─▶ plan ─▶ NNNN_name.sql
                                                               (+ migrations/postgres/)
"""
