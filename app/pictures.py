"""Drawn product pictures for products without an upload, and the demo's gallery views (issue 17).

A picture is an SVG glyph of what the category sells (a laptop, a book, a shoe…) in an ink
colour that varies by product within its category's hue, or that a variant's colour names
("Red"); views 1..4 draw it from the front, the side, close up and from above. Everything the
drawing depends on is in its URL (/products/pictures/<glyph>-<ink>-<view>.svg) and the template's
digest (?v=…), so it is drawn without a query and cached for a year; no bytes are stored.
"""

import colorsys
import re

GLYPHS = (
    "laptop", "phone", "headphones", "camera", "tv", "book", "bubble", "pot", "mug", "bed", "chair", "lamp",
    "shirt", "dress", "shoe", "jacket", "bag", "tent", "bicycle", "dumbbell", "boat", "die", "brick",
    "puzzle", "figure", "ball", "bottle", "lipstick", "perfume", "shovel", "plant", "grill", "can", "box",
)  # fmt: skip
CATEGORY_GLYPHS = {
    "laptops": "laptop",
    "phones": "phone",
    "headphones": "headphones",
    "cameras": "camera",
    "tvs": "tv",
    "comics": "bubble",
    "cookware": "pot",
    "coffee-tea": "mug",
    "bedding": "bed",
    "furniture": "chair",
    "lighting": "lamp",
    "mens-clothing": "shirt",
    "womens-clothing": "dress",
    "shoes": "shoe",
    "outerwear": "jacket",
    "accessories": "bag",
    "camping": "tent",
    "cycling": "bicycle",
    "fitness": "dumbbell",
    "running": "shoe",
    "water-sports": "boat",
    "board-games": "die",
    "building-sets": "brick",
    "puzzles": "puzzle",
    "dolls-figures": "figure",
    "outdoor-play": "ball",
    "makeup": "lipstick",
    "fragrance": "perfume",
    "garden-tools": "shovel",
    "plants-seeds": "plant",
    "outdoor-furniture": "chair",
    "grills": "grill",
    "watering": "can",
}
DEPARTMENT_GLYPHS = {
    "electronics": "laptop",
    "books": "book",
    "home-kitchen": "mug",
    "clothing": "shirt",
    "sports-outdoors": "ball",
    "toys-games": "die",
    "beauty": "bottle",
    "garden": "plant",
}
VIEWS = {1: "front", 2: "side", 3: "close-up", 4: "from above"}
# Colour option values a variant may carry ({"Colour": "Red"}), as an ink colour.
NAMED_COLOURS = {
    "black": "222222", "white": "9a9a9a", "grey": "6b6b6b", "gray": "6b6b6b", "silver": "8c96a0",
    "red": "c62828", "orange": "d9620b", "yellow": "c9a000", "gold": "b8860b", "green": "2e7d32",
    "olive": "6b7a1f", "teal": "00796b", "blue": "1f5fbf", "navy": "1a2f6b", "purple": "6a3fa0",
    "pink": "d04f8a", "brown": "7a4a25", "beige": "a68a64", "cream": "b59f6b",
}  # fmt: skip
INK = re.compile(r"^[0-9a-f]{6}$")


def glyph_for(category_slug: str | None, department_slug: str | None) -> str:
    """The glyph of a category (or of its department, or a parcel)."""
    return CATEGORY_GLYPHS.get(category_slug or "") or DEPARTMENT_GLYPHS.get(department_slug or "", "box")


def ink_for(product_id: int, category_id: int, colour_name: str | None = None) -> str:
    """The picture's ink as six hex digits: the variant's named colour when known, else a shade of the
    category's hue that varies by product, dark enough for white highlights."""
    named = NAMED_COLOURS.get((colour_name or "").strip().lower())
    if named:
        return named
    hue = (category_id * 137.508 + (product_id * 47) % 70 - 35) % 360  # golden angle between categories
    lightness = 0.30 + (product_id * 13 % 12) / 100
    saturation = 0.45 + (product_id * 7 % 25) / 100
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return "".join(f"{round(channel * 255):02x}" for channel in (red, green, blue))


def background_for(ink: str) -> str:
    """A pale tint of the ink for the picture's background."""
    channels = [int(ink[index : index + 2], 16) for index in (0, 2, 4)]
    return "".join(f"{round(channel + (255 - channel) * 0.86):02x}" for channel in channels)


def is_valid(glyph: str, ink: str, view: int) -> bool:
    return glyph in GLYPHS and bool(INK.match(ink)) and view in VIEWS


def picture_path(glyph: str, ink: str, view: int) -> str:
    """The picture's path under the catalog (/products/pictures/…)."""
    return f"/products/pictures/{glyph}-{ink}-{view}.svg"
