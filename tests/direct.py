"""Queries on a database of its own, through a plain psycopg2 connection (not the app's pinned one)."""

import psycopg2


def fetch(url: str, query, params=None) -> list[tuple]:
    """Every row of one query."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


def execute(url: str, statement: str) -> None:
    """Run one statement and commit it."""
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()
