"""Departments and their categories."""

from app import db


def list_departments():
    """Every department with how many categories it has, by name."""
    return db.all(
        """
        SELECT d.id, d.name, d.slug, count(c.id) AS category_count
        FROM departments AS d
        LEFT JOIN categories AS c ON c.department_id = d.id
        GROUP BY d.id
        ORDER BY d.name
        """
    )
