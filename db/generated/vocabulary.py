"""The catalog's words: departments, categories and what each category's goods are called.

Plain data. texts.py turns it into pools of product names and descriptions; catalog.py reads the
price ranges and weights. A category's words are chosen so "{brand} {adjective} {noun}" reads like
a real listing in that category.
"""

from dataclasses import dataclass

# A description opens with the product's own subject ("The Northwind Ultrabook", or a book's title)
# followed by one of these predicates, then adds up to two sentences that fit any product of the
# category. Placeholders come from the category's words.
COMMON_LEADS = (
    " — a natural fit for {use}, with {feature}.",
    " can handle {use} with ease.",
    " would make a great pick for {use}.",
    " will quickly become a favourite for {use}.",
    " can't be beaten for {use}.",
)
COMMON_SENTENCES = (
    "It comes with {feature}.",
    "Customers pick it for {use}.",
    "Ideal for {use} and easy to look after.",
    "Backed by a one-year warranty.",
    "Ships in recyclable packaging.",
    "Rated highly by customers who buy for {use}.",
)
BOOK_LEADS = (
    " is a gripping read, perfect for {use}.",
    " is published by {brand} and loved by readers everywhere.",
    " is a book worth keeping, from {brand}.",
    " has become a favourite for {use}.",
)
BOOK_SENTENCES = (
    "A great pick for {use}.",
    "Includes a reading-group guide.",
    "Readers call it one of the best books of the year.",
    "Printed on acid-free paper.",
    "Now with a new foreword.",
)


@dataclass(frozen=True)
class Category:
    """One category and the vocabulary its product names and descriptions are made from."""

    name: str
    slug: str
    brands: tuple[str, ...]
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    features: tuple[str, ...]
    uses: tuple[str, ...]
    price_range: tuple[float, float]
    weight: float = 1.0  # share of products relative to other categories
    item: str = ""  # what reviews call one of these goods; the noun when empty
    model_prefixes: tuple[str, ...] = ("X", "S", "Pro ", "M")
    head: str = "{brand} {adjective} {noun}"
    tails: tuple[str, ...] = (" {model}", " {model} with {feature}", " with {feature}", "")


@dataclass(frozen=True)
class Department:
    """A top-level department, its categories and the sentence templates of their descriptions."""

    name: str
    slug: str
    categories: tuple[Category, ...]
    leads: tuple[str, ...] = COMMON_LEADS
    sentences: tuple[str, ...] = COMMON_SENTENCES


DEPARTMENTS = (
    Department(
        "Electronics",
        "electronics",
        (
            Category(
                "Laptops",
                "laptops",
                ("Northwind", "Lumetra", "Corvid", "Apex", "Zephyr", "Halcyon"),
                ("Ultrabook", "Laptop", "Notebook", "2-in-1 Laptop", "Chromebook", "Gaming Laptop"),
                ("13-inch", "14-inch", "15-inch", "16-inch", "Slim", "Lightweight", "Convertible", "Professional"),
                ("16 GB RAM", "32 GB RAM", "a 1 TB SSD", "a backlit keyboard", "a 2.8K OLED display", "Wi-Fi 7"),
                ("everyday work", "students", "travel", "video editing", "coding on the go", "gaming"),
                (299.0, 2499.0),
                1.2,
            ),
            Category(
                "Phones",
                "phones",
                ("Lumetra", "Orbit", "Pixelle", "Nova", "Corvid", "Tessera"),
                ("Smartphone", "Phone", "5G Phone", "Flip Phone", "Rugged Phone"),
                ("6.1-inch", "6.7-inch", "Compact", "Unlocked", "Dual-SIM", "Foldable", "Budget"),
                ("128 GB storage", "256 GB storage", "a 50 MP camera", "a two-day battery", "wireless charging"),
                ("staying connected", "mobile photography", "travel", "everyday use", "streaming"),
                (99.0, 1399.0),
                1.2,
            ),
            Category(
                "Headphones",
                "headphones",
                ("Sonique", "Bassline", "Aurel", "Northwind", "Quietude", "Echo"),
                ("Headphones", "Earbuds", "Headset", "Earphones", "Studio Monitors"),
                ("Wireless", "Noise-Cancelling", "Over-Ear", "In-Ear", "Bluetooth", "Open-Back", "Sport"),
                ("40-hour battery", "active noise cancelling", "a charging case", "a detachable microphone"),
                ("commuting", "the gym", "long flights", "gaming", "studio mixing", "calls"),
                (15.0, 449.0),
            ),
            Category(
                "Cameras",
                "cameras",
                ("Optica", "Lumetra", "Kestrel", "Fotona", "Halide", "Vantage"),
                ("Mirrorless Camera", "Action Camera", "Instant Camera", "DSLR Camera", "Camera Lens", "Drone"),
                ("Full-Frame", "4K", "Compact", "Waterproof", "Weather-Sealed", "24 MP", "Vlogging"),
                ("in-body stabilisation", "a 24-70 mm lens", "dual card slots", "a flip screen", "4K60 video"),
                ("travel photography", "vlogging", "wildlife shots", "family events", "outdoor adventures"),
                (49.0, 2999.0),
                0.8,
            ),
            Category(
                "TVs",
                "tvs",
                ("Vividia", "Lumetra", "Panora", "Corvid", "Horizon", "Spectra"),
                ("Smart TV", "OLED TV", "QLED TV", "LED TV", "Projector", "Soundbar"),
                ("43-inch", "55-inch", "65-inch", "75-inch", "4K", "8K", "Ultra-Thin"),
                ("HDR10+", "a 120 Hz panel", "built-in streaming apps", "Dolby Atmos sound", "voice control"),
                ("movie nights", "sports", "gaming", "small living rooms", "home cinema"),
                (149.0, 3499.0),
                0.8,
            ),
        ),
    ),
    Department(
        "Books",
        "books",
        (
            Category(
                "Fiction",
                "fiction",
                ("Harbor House", "Quill & Ink", "Lantern Press", "Meridian Books", "Blue Heron", "Foxglove"),
                ("Harbor", "Orchard", "Winter", "Lighthouse", "River", "Garden", "Storm", "Stranger", "Summer"),
                ("The Silent", "The Last", "A Distant", "The Hidden", "The Forgotten", "The Long", "The Burning"),
                ("paperback", "hardcover", "large-print edition", "collector's edition"),
                ("a rainy weekend", "book clubs", "the beach", "long train rides", "late-night reading"),
                (6.0, 35.0),
                1.4,
                item="book",
                head="{adjective} {noun}",
                tails=("", ": A Novel", " ({feature_title})"),
            ),
            Category(
                "Non-fiction",
                "non-fiction",
                ("Meridian Books", "Atlas House", "Clearwater", "Lantern Press", "Keystone", "Northlight"),
                ("History", "Habits", "Money", "Science", "Leadership", "Climate", "Memory", "Sleep", "Cities"),
                ("The Hidden", "A Short", "The New", "The Surprising", "A Practical", "The Secret", "Rethinking"),
                ("paperback", "hardcover", "audiobook CD set", "illustrated edition"),
                ("curious minds", "students", "commuters", "gift giving", "self-improvement"),
                (8.0, 45.0),
                1.2,
                item="book",
                head="{adjective} {noun}",
                tails=("", ": What Everyone Should Know", " ({feature_title})", ", Revised Edition"),
            ),
            Category(
                "Children's Books",
                "childrens-books",
                ("Little Acorn", "Bright Kite", "Puddle Jump", "Story Tree", "Blue Heron", "Moonbeam"),
                ("Dragon", "Bear", "Rocket", "Fox", "Dinosaur", "Whale", "Owl", "Robot", "Bunny"),
                ("The Sleepy", "The Brave", "The Tiny", "The Curious", "The Noisy", "The Friendly", "The Lost"),
                ("board book", "picture book", "hardcover", "sticker book", "lift-the-flap book"),
                ("bedtime", "early readers", "ages 3 to 6", "reading aloud", "first birthdays"),
                (4.0, 25.0),
                item="book",
                head="{adjective} {noun}",
                tails=("", " Goes to School", " and the Big Surprise", " ({feature_title})"),
            ),
            Category(
                "Comics",
                "comics",
                ("Ink Forge", "Panel Works", "Night Owl Comics", "Quill & Ink", "Vector Press", "Red Kite"),
                ("Guardians", "Wanderer", "Nightfall", "Starborn", "Machine", "Kingdom", "Outlaws", "Sentinel"),
                ("The Last", "The Iron", "Shadow", "The Crimson", "Infinite", "The Broken", "Electric"),
                ("trade paperback", "deluxe hardcover", "omnibus", "single issue"),
                ("superhero fans", "manga readers", "collectors", "new readers", "graphic-novel lovers"),
                (4.0, 60.0),
                0.7,
                item="book",
                head="{adjective} {noun}",
                tails=(", Vol. {volume}", " ({feature_title})", ": The Complete Collection"),
            ),
            Category(
                "Cookbooks",
                "cookbooks",
                ("Pantry Press", "Atlas House", "Saffron Books", "Harbor House", "Green Table", "Salt & Thyme"),
                ("Baking", "Weeknight Dinners", "Soups", "Vegetarian Cooking", "Grilling", "Bread", "Pasta"),
                ("Simple", "The Essential", "Everyday", "Quick", "The Complete", "Modern", "Classic"),
                ("hardcover", "spiral-bound edition", "paperback", "illustrated edition"),
                ("busy families", "beginner cooks", "weekend projects", "dinner parties", "meal prep"),
                (10.0, 45.0),
                0.7,
                item="book",
                head="{adjective} {noun}",
                tails=("", ": 100 Recipes", ": Recipes for Every Day", " ({feature_title})"),
            ),
        ),
        BOOK_LEADS,
        BOOK_SENTENCES,
    ),
    Department(
        "Home & Kitchen",
        "home-kitchen",
        (
            Category(
                "Cookware",
                "cookware",
                ("Copperline", "Ironhearth", "Culina", "Maison Blanc", "Forge & Field", "Tempra"),
                ("Frying Pan", "Dutch Oven", "Saucepan", "Cookware Set", "Wok", "Stockpot", "Skillet"),
                ("Non-Stick", "Cast-Iron", "Stainless Steel", "10-Piece", "Enamelled", "12-inch", "Ceramic"),
                ("a stay-cool handle", "a glass lid", "induction compatibility", "oven-safe to 260 °C"),
                ("weeknight cooking", "searing steaks", "slow braises", "small kitchens", "family meals"),
                (15.0, 399.0),
            ),
            Category(
                "Coffee & Tea",
                "coffee-tea",
                ("Barista Co", "Morning Ritual", "Brewhaus", "Kettleworks", "Crema", "Tea Garden"),
                ("Espresso Machine", "Coffee Grinder", "French Press", "Electric Kettle", "Pour-Over Set"),
                ("Automatic", "Burr", "Gooseneck", "Compact", "Programmable", "Double-Wall", "Manual"),
                ("a milk frother", "40 grind settings", "temperature control", "a thermal carafe"),
                ("morning coffee", "tea lovers", "small offices", "cold brew", "latte art"),
                (12.0, 899.0),
            ),
            Category(
                "Bedding",
                "bedding",
                ("Slumberly", "Linen & Loom", "Cloudrest", "Maison Blanc", "Nordic Nest", "Softwave"),
                ("Duvet Cover Set", "Sheet Set", "Pillow", "Weighted Blanket", "Mattress Topper", "Quilt"),
                ("Queen", "King", "Organic Cotton", "Linen", "Cooling", "Hypoallergenic", "Down-Alternative"),
                ("deep pockets", "400 thread count", "a zip closure", "machine-washable fabric"),
                ("hot sleepers", "guest rooms", "cosy winters", "allergy sufferers", "better sleep"),
                (19.0, 349.0),
            ),
            Category(
                "Furniture",
                "furniture",
                ("Oak & Ash", "Nordic Nest", "Loftworks", "Casa Verde", "Birchwood", "Modula"),
                ("Bookshelf", "Desk", "Coffee Table", "Armchair", "Dining Chair", "TV Stand", "Sofa"),
                ("Solid Oak", "Mid-Century", "Foldable", "Industrial", "Upholstered", "Minimalist", "Walnut"),
                ("adjustable shelves", "cable management", "tool-free assembly", "soft-close drawers"),
                ("small apartments", "home offices", "living rooms", "reading corners", "first homes"),
                (39.0, 1299.0),
                0.8,
            ),
            Category(
                "Lighting",
                "lighting",
                ("Lumina", "Glowhaus", "Brightside", "Casa Verde", "Halo", "Filament & Co"),
                ("Floor Lamp", "Desk Lamp", "Pendant Light", "LED Strip", "Table Lamp", "Smart Bulb Set"),
                ("Dimmable", "Arc", "Rattan", "Smart", "Brass", "Adjustable", "Vintage"),
                ("warm-to-cool colour control", "a USB charging port", "app control", "a touch dimmer"),
                ("reading nooks", "home offices", "bedrooms", "living rooms", "cosy evenings"),
                (9.0, 299.0),
            ),
        ),
    ),
    Department(
        "Clothing",
        "clothing",
        (
            Category(
                "Men's Clothing",
                "mens-clothing",
                ("Harbor & Co", "Northline", "Tailor Street", "Urban Thread", "Field & Fold", "Redwood"),
                ("Oxford Shirt", "Chinos", "Crewneck Sweater", "Polo Shirt", "Jeans", "T-Shirt", "Hoodie"),
                ("Slim-Fit", "Relaxed", "Organic Cotton", "Merino", "Stretch", "Classic", "Heavyweight"),
                ("a tailored fit", "reinforced seams", "wrinkle-resistant fabric", "a brushed finish"),
                ("the office", "weekends", "smart-casual dinners", "layering", "travel"),
                (12.0, 149.0),
                1.2,
                tails=("", " in Navy", " in Olive", " in Charcoal", " with {feature}"),
            ),
            Category(
                "Women's Clothing",
                "womens-clothing",
                ("Wren & Rose", "Northline", "Linen & Loom", "Marlowe", "Urban Thread", "Solstice"),
                ("Wrap Dress", "Blouse", "Cardigan", "Midi Skirt", "Jeans", "Jumpsuit", "T-Shirt"),
                ("Linen", "High-Rise", "Cropped", "Floral", "Oversized", "Ribbed", "Silk-Blend"),
                ("hidden pockets", "a relaxed fit", "breathable fabric", "a tie waist"),
                ("summer days", "the office", "weekend brunches", "layering", "travel"),
                (12.0, 179.0),
                1.2,
                tails=("", " in Sage", " in Ivory", " in Black", " with {feature}"),
            ),
            Category(
                "Shoes",
                "shoes",
                ("Stride", "Trailmark", "Cobble & Co", "Fleetfoot", "Redwood", "Urbanstep"),
                ("Sneakers", "Running Shoes", "Chelsea Boots", "Loafers", "Sandals", "Hiking Boots"),
                ("Leather", "Waterproof", "Lightweight", "Suede", "Cushioned", "Wide-Fit", "Vegan"),
                ("a memory-foam insole", "a grippy rubber sole", "recycled laces", "a padded collar"),
                ("all-day wear", "city walking", "rainy commutes", "trail hikes", "summer holidays"),
                (19.0, 229.0),
                tails=("", " with {feature}", ", Size {size}"),
            ),
            Category(
                "Outerwear",
                "outerwear",
                ("Northline", "Summit", "Field & Fold", "Harbor & Co", "Glacier", "Stormproof"),
                ("Rain Jacket", "Puffer Jacket", "Parka", "Trench Coat", "Fleece Jacket", "Gilet"),
                ("Waterproof", "Insulated", "Packable", "Wool-Blend", "Hooded", "Windproof", "Quilted"),
                ("sealed seams", "a detachable hood", "recycled insulation", "zip pockets"),
                ("winter commutes", "hiking", "city rain", "cold mornings", "travel"),
                (29.0, 399.0),
                tails=("", " with {feature}", " in Black", " in Forest Green"),
            ),
            Category(
                "Accessories",
                "accessories",
                ("Marlowe", "Cobble & Co", "Harbor & Co", "Wren & Rose", "Timeworks", "Satchel & Sons"),
                ("Watch", "Backpack", "Leather Wallet", "Sunglasses", "Scarf", "Belt", "Tote Bag"),
                ("Minimalist", "Vintage", "Polarised", "Handmade", "Cashmere", "Canvas", "Slim"),
                ("RFID protection", "a sapphire crystal", "a padded laptop sleeve", "a lifetime guarantee"),
                ("daily carry", "gift giving", "travel", "sunny days", "the office"),
                (9.0, 499.0),
            ),
        ),
    ),
    Department(
        "Sports & Outdoors",
        "sports-outdoors",
        (
            Category(
                "Camping",
                "camping",
                ("Trailmark", "Summit", "Pinecrest", "Wildpath", "Basecamp", "Ridgeline"),
                ("Tent", "Sleeping Bag", "Camping Stove", "Headlamp", "Backpack", "Camp Chair", "Lantern"),
                ("2-Person", "4-Person", "Ultralight", "Three-Season", "Waterproof", "Compact", "Rechargeable"),
                ("a rain fly", "a compression sack", "a 300-lumen beam", "a built-in igniter"),
                ("weekend camping", "backpacking trips", "festivals", "family campsites", "bikepacking"),
                (12.0, 599.0),
            ),
            Category(
                "Cycling",
                "cycling",
                ("Velocita", "Ridgeline", "Chainline", "Spoke & Co", "Trailmark", "Aerodyn"),
                ("Road Bike", "Bike Helmet", "Bike Light Set", "Cycling Jersey", "Bike Lock", "Mountain Bike"),
                ("Carbon", "Aluminium", "Aero", "Gravel", "Folding", "Electric", "Reflective"),
                ("hydraulic disc brakes", "a 12-speed drivetrain", "MIPS protection", "USB-C charging"),
                ("daily commuting", "long rides", "gravel roads", "city riding", "weekend races"),
                (15.0, 3999.0),
                0.8,
            ),
            Category(
                "Fitness",
                "fitness",
                ("Ironcore", "Flexa", "Kinetic", "Pulse", "Forge Fitness", "Balance Lab"),
                ("Dumbbell Set", "Yoga Mat", "Kettlebell", "Resistance Bands", "Rowing Machine", "Treadmill"),
                ("Adjustable", "Non-Slip", "Foldable", "Cast-Iron", "Smart", "Extra-Thick", "Compact"),
                ("a carry strap", "quick-change weight plates", "a quiet magnetic drive", "an exercise guide"),
                ("home workouts", "small spaces", "strength training", "yoga practice", "cardio"),
                (9.0, 1499.0),
            ),
            Category(
                "Running",
                "running",
                ("Fleetfoot", "Stride", "Pacer", "Aerodyn", "Trailmark", "Tempo"),
                ("Running Shoes", "GPS Watch", "Running Vest", "Shorts", "Water Bottle", "Armband"),
                ("Lightweight", "Trail", "Carbon-Plated", "Reflective", "Breathable", "Cushioned", "Race-Day"),
                ("heart-rate tracking", "a 2-litre bladder", "a responsive foam midsole", "zip pockets"),
                ("marathon training", "trail runs", "early-morning runs", "race day", "tempo sessions"),
                (9.0, 549.0),
            ),
            Category(
                "Water Sports",
                "water-sports",
                ("Tidewater", "Bluewave", "Aquanaut", "Seaspray", "Riptide", "Coral Bay"),
                ("Paddle Board", "Wetsuit", "Snorkel Set", "Kayak", "Swim Goggles", "Dry Bag"),
                ("Inflatable", "3 mm", "Anti-Fog", "Sit-On-Top", "Waterproof", "Touring", "Kids'"),
                ("a pump and paddle", "sealed seams", "a dry-top snorkel", "UV protection"),
                ("lake days", "beach holidays", "open-water swimming", "family trips", "surf lessons"),
                (9.0, 1199.0),
                0.7,
            ),
        ),
    ),
    Department(
        "Toys & Games",
        "toys-games",
        (
            Category(
                "Board Games",
                "board-games",
                ("Meeple House", "Dicecraft", "Tabletop Co", "Gamewright", "Red Kite Games", "Rook & Pawn"),
                ("Strategy Game", "Party Game", "Card Game", "Cooperative Game", "Chess Set", "Puzzle Game"),
                ("Family", "Two-Player", "Deluxe", "Travel", "Classic", "Legacy", "Fast-Paced"),
                ("a 30-minute play time", "wooden pieces", "an expansion pack", "rules for 2 to 6 players"),
                ("family nights", "parties", "couples", "game clubs", "holiday gatherings"),
                (9.0, 119.0),
            ),
            Category(
                "Building Sets",
                "building-sets",
                ("Brickworks", "Buildmore", "Tinker Lab", "Blocktown", "Constructo", "Little Acorn"),
                ("Building Set", "Castle Kit", "Space Station", "Train Set", "Robot Kit", "City Set"),
                ("500-Piece", "1,000-Piece", "Motorised", "Magnetic", "Wooden", "Starter", "Deluxe"),
                ("a step-by-step guide", "compatible bricks", "a storage tub", "light-up pieces"),
                ("ages 6 and up", "creative kids", "rainy afternoons", "STEM learning", "adult builders"),
                (9.0, 299.0),
            ),
            Category(
                "Puzzles",
                "puzzles",
                ("Jigsaw Co", "Puzzleworks", "Mindbend", "Tabletop Co", "Piecewise", "Brainteaser"),
                ("Jigsaw Puzzle", "3D Puzzle", "Puzzle Box", "Brain Teaser Set", "Floor Puzzle"),
                ("1,000-Piece", "500-Piece", "Wooden", "Panoramic", "Glow-in-the-Dark", "Kids'", "Mystery"),
                ("a poster guide", "a sorting tray", "thick premium pieces", "a reusable storage bag"),
                ("quiet evenings", "family tables", "gift giving", "puzzle fans", "young solvers"),
                (6.0, 79.0),
                0.7,
                model_prefixes=("No. ",),
            ),
            Category(
                "Dolls & Figures",
                "dolls-figures",
                ("Playhaven", "Toyland", "Storybook", "Heroic", "Dollhouse Co", "Little Acorn"),
                ("Doll", "Action Figure", "Dollhouse", "Plush Toy", "Figure Set", "Playset"),
                ("Poseable", "Collectible", "Soft", "Talking", "12-inch", "Wooden", "Deluxe"),
                ("removable outfits", "20 points of articulation", "accessory pieces", "washable fabric"),
                ("pretend play", "collectors", "toddlers", "ages 4 and up", "birthday gifts"),
                (7.0, 149.0),
                0.8,
            ),
            Category(
                "Outdoor Play",
                "outdoor-play",
                ("Backyard Co", "Playhaven", "Sunny Days", "Skyhop", "Trailblazer Kids", "Splashzone"),
                ("Trampoline", "Swing Set", "Scooter", "Water Blaster", "Kite", "Sandpit", "Play Tent"),
                ("Foldable", "Weatherproof", "Kids'", "Light-Up", "Two-Wheel", "Giant", "Inflatable"),
                ("a safety net", "adjustable handlebars", "UV-resistant fabric", "easy assembly"),
                ("summer afternoons", "backyards", "active kids", "beach days", "park trips"),
                (9.0, 499.0),
                0.7,
            ),
        ),
    ),
    Department(
        "Beauty",
        "beauty",
        (
            Category(
                "Skincare",
                "skincare",
                ("Dewdrop", "Purelle", "Verdant", "Skin Theory", "Aurora Botanics", "Clarity Lab"),
                ("Moisturiser", "Serum", "Cleanser", "Sunscreen", "Eye Cream", "Face Mask", "Toner"),
                ("Hydrating", "Vitamin C", "Fragrance-Free", "Retinol", "Gentle", "SPF 50", "Brightening"),
                ("hyaluronic acid", "niacinamide", "a pump bottle", "dermatologist-tested ingredients"),
                ("dry skin", "sensitive skin", "daily routines", "sunny days", "night-time care"),
                (6.0, 120.0),
                1.1,
                tails=("", ", 50 ml", ", 30 ml", " with {feature}"),
            ),
            Category(
                "Hair Care",
                "hair-care",
                ("Silkroot", "Purelle", "Mane Studio", "Verdant", "Lustre", "Salon Lab"),
                ("Shampoo", "Conditioner", "Hair Dryer", "Straightener", "Hair Oil", "Curling Wand"),
                ("Sulphate-Free", "Ionic", "Volumising", "Repairing", "Ceramic", "Argan", "Travel-Size"),
                ("a diffuser attachment", "argan oil", "three heat settings", "a keratin formula"),
                ("curly hair", "fine hair", "quick styling", "colour-treated hair", "travel"),
                (5.0, 299.0),
                tails=("", ", 250 ml", " with {feature}"),
            ),
            Category(
                "Makeup",
                "makeup",
                ("Velvet & Co", "Luxe Lab", "Bloom", "Purelle", "Muse", "Glowhaus Beauty"),
                ("Lipstick", "Foundation", "Mascara", "Eyeshadow Palette", "Concealer", "Blush", "Brush Set"),
                ("Matte", "Long-Wear", "Waterproof", "Shimmer", "Full-Coverage", "Vegan", "Nude"),
                ("12 blendable shades", "a built-in mirror", "SPF 15", "a smudge-proof formula"),
                ("everyday looks", "evenings out", "weddings", "beginners", "make-up artists"),
                (5.0, 89.0),
                1.0,
                model_prefixes=("Shade ",),
            ),
            Category(
                "Fragrance",
                "fragrance",
                ("Maison Lys", "Ambra", "Noir & Blanc", "Solstice", "Cedar & Musk", "Bloom"),
                ("Eau de Parfum", "Eau de Toilette", "Body Mist", "Perfume Oil", "Gift Set", "Cologne"),
                ("Floral", "Woody", "Citrus", "Amber", "Fresh", "Oriental", "Unisex"),
                ("notes of bergamot and cedar", "a refillable bottle", "a travel atomiser", "a 100 ml bottle"),
                ("evenings out", "summer days", "gift giving", "the office", "special occasions"),
                (15.0, 249.0),
                0.7,
                tails=("", ", 50 ml", ", 100 ml", " with {feature}"),
            ),
            Category(
                "Bath & Body",
                "bath-body",
                ("Soapbox", "Lather & Co", "Verdant", "Seasalt", "Aurora Botanics", "Honeycomb"),
                ("Body Wash", "Bath Bomb Set", "Body Lotion", "Hand Cream", "Body Scrub", "Soap Bar Set"),
                ("Lavender", "Shea Butter", "Coconut", "Eucalyptus", "Oatmeal", "Unscented", "Rose"),
                ("natural oils", "a recyclable tube", "a gift box", "a vegan formula"),
                ("relaxing baths", "dry hands", "gift giving", "sensitive skin", "spa days"),
                (4.0, 59.0),
                tails=("", ", 400 ml", " Gift Set", " with {feature}"),
            ),
        ),
    ),
    Department(
        "Garden",
        "garden",
        (
            Category(
                "Garden Tools",
                "garden-tools",
                ("Greenthumb", "Rootwell", "Fieldcraft", "Spade & Fork", "Hedgerow", "Terra"),
                ("Pruning Shears", "Lawn Mower", "Hedge Trimmer", "Garden Spade", "Leaf Blower", "Rake"),
                ("Cordless", "Stainless Steel", "Ergonomic", "Electric", "Heavy-Duty", "Telescopic", "Compact"),
                ("a 40 V battery", "a non-slip grip", "a 10-year guarantee", "a self-sharpening blade"),
                ("small gardens", "allotments", "spring clean-ups", "tidy hedges", "weekend gardening"),
                (9.0, 499.0),
            ),
            Category(
                "Plants & Seeds",
                "plants-seeds",
                ("Seedling Co", "Bloomfield", "Greenthumb", "Wildflower Farm", "Rootwell", "Heirloom"),
                ("Seed Collection", "Tomato Seeds", "Herb Garden Kit", "Tulip Bulbs", "Succulent Set", "Rose Bush"),
                ("Organic", "Heirloom", "Perennial", "Indoor", "Pollinator-Friendly", "Dwarf", "Heritage"),
                ("a planting guide", "biodegradable pots", "50 bulbs", "germination-tested seed"),
                ("windowsills", "balcony gardens", "raised beds", "first-time growers", "pollinators"),
                (3.0, 89.0),
                0.8,
                tails=("", ", Pack of 6", ", Pack of 12", " with {feature}"),
            ),
            Category(
                "Outdoor Furniture",
                "outdoor-furniture",
                ("Patio House", "Teakwood", "Casa Verde", "Sunhaven", "Terrace Co", "Loftworks"),
                ("Bistro Set", "Sun Lounger", "Garden Bench", "Parasol", "Dining Set", "Hammock", "Fire Pit"),
                ("Teak", "Rattan", "Folding", "Weatherproof", "4-Seater", "Aluminium", "Cantilever"),
                ("weather-resistant cushions", "a tilting canopy", "rust-proof frames", "a storage cover"),
                ("summer evenings", "small balconies", "family barbecues", "patios", "poolside lounging"),
                (29.0, 1499.0),
                0.7,
            ),
            Category(
                "Grills",
                "grills",
                ("Flamecraft", "Ember & Oak", "Smokehouse", "Grillmaster", "Firestone", "Charwell"),
                ("Gas Grill", "Charcoal Grill", "Pellet Smoker", "Pizza Oven", "Grill Tool Set", "Kamado Grill"),
                ("3-Burner", "Portable", "Kettle", "Stainless Steel", "Wood-Fired", "Ceramic", "Tabletop"),
                ("a side burner", "a built-in thermometer", "cast-iron grates", "a warming rack"),
                ("backyard barbecues", "camping trips", "low-and-slow smoking", "pizza nights", "tailgates"),
                (19.0, 1299.0),
                0.6,
            ),
            Category(
                "Watering",
                "watering",
                ("Rainwise", "Aquaflow", "Greenthumb", "Hosepro", "Dripline", "Terra"),
                ("Garden Hose", "Sprinkler", "Watering Can", "Drip Irrigation Kit", "Hose Reel", "Rain Barrel"),
                ("Expandable", "Oscillating", "Smart", "Galvanised", "30-Metre", "Wall-Mounted", "Solar"),
                ("a 7-pattern spray gun", "a timer", "brass fittings", "kink-free tubing"),
                ("vegetable beds", "large lawns", "hanging baskets", "dry summers", "greenhouses"),
                (6.0, 249.0),
                0.6,
            ),
        ),
    ),
)


def all_categories() -> list[tuple[Department, Category]]:
    """Every (department, category) pair in catalog order; category ids follow this order."""
    return [(department, category) for department in DEPARTMENTS for category in department.categories]
