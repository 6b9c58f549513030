"""Attributes of the demo's categories (category_attributes) and where a product's value comes from.

Plain data for naming.py. A value is read off the product's own name, so the two always agree:
`words` replace the category's adjectives in names ("15.6-inch" gives a screen size of 15.6, "Solid
Oak" a material of Oak); `nouns` map what the product is to a value ("Earbuds" are In-ear).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    key: str
    label: str
    type: str  # 'number' or 'choice'
    unit: str | None = None
    words: tuple[tuple[str, str | float], ...] = ()  # (word in the name, value): the name's adjective
    nouns: tuple[tuple[str, str], ...] = ()  # (the category's noun, value)

    @property
    def choices(self) -> tuple[str, ...] | None:
        """A choice attribute's values in order (each once), or None for a number."""
        if self.type != "choice":
            return None
        return tuple(dict.fromkeys(str(value) for _, value in self.words + self.nouns))


ATTRIBUTES = {
    "laptops": (
        Attribute(
            "screen_size",
            "Screen size",
            "number",
            "in",
            words=(("13.3-inch", 13.3), ("14-inch", 14), ("15.6-inch", 15.6), ("16-inch", 16), ("17.3-inch", 17.3)),
        ),
        Attribute(
            "form_factor",
            "Type",
            "choice",
            nouns=(
                ("Ultrabook", "Ultrabook"),
                ("Laptop", "Laptop"),
                ("Notebook", "Laptop"),
                ("2-in-1 Laptop", "2-in-1"),
                ("Chromebook", "Chromebook"),
                ("Gaming Laptop", "Gaming laptop"),
            ),
        ),
    ),
    "phones": (
        Attribute(
            "screen_size",
            "Screen size",
            "number",
            "in",
            words=(("6.1-inch", 6.1), ("6.3-inch", 6.3), ("6.7-inch", 6.7), ("6.9-inch", 6.9)),
        ),
    ),
    "headphones": (
        Attribute(
            "fit",
            "Fit",
            "choice",
            nouns=(
                ("Headphones", "Over-ear"),
                ("Earbuds", "In-ear"),
                ("Headset", "Headset"),
                ("Earphones", "In-ear"),
                ("Studio Monitors", "Over-ear"),
            ),
        ),
    ),
    "cookware": (
        Attribute(
            "material",
            "Material",
            "choice",
            words=(
                ("Cast-Iron", "Cast iron"),
                ("Stainless Steel", "Stainless steel"),
                ("Non-Stick", "Non-stick"),
                ("Copper", "Copper"),
                ("Carbon Steel", "Carbon steel"),
                ("Ceramic", "Ceramic"),
            ),
        ),
    ),
    "furniture": (
        Attribute(
            "material",
            "Material",
            "choice",
            words=(
                ("Solid Oak", "Oak"),
                ("Walnut", "Walnut"),
                ("Pine", "Pine"),
                ("Bamboo", "Bamboo"),
                ("Steel-Frame", "Steel"),
                ("Rattan", "Rattan"),
                ("Velvet", "Velvet"),
            ),
        ),
    ),
    "outdoor-furniture": (
        Attribute(
            "material",
            "Material",
            "choice",
            words=(
                ("Teak", "Teak"),
                ("Acacia", "Acacia"),
                ("Aluminium", "Aluminium"),
                ("Rattan", "Rattan"),
                ("Steel", "Steel"),
                ("Recycled Plastic", "Recycled plastic"),
            ),
        ),
    ),
}
