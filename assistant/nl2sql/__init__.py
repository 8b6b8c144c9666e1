"""The built-in, offline NL→SQL engine (pure Python, no Django): `answer(question, schema)`.

See `engine.py` for the entry point, `schema.py` for what it needs to know about a database,
`linking.py` for schema/value linking and `parser.py` for the rules that build a query plan.
"""
from .engine import Result, answer
from .schema import Column, ForeignKey, SchemaInfo, Table

__all__ = ["Column", "ForeignKey", "Result", "SchemaInfo", "Table", "answer"]
