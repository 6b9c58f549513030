"""What reviewers and message writers say: templates keyed by rating or by who is writing.

Plain data; texts.py fills the {placeholders} with a category's words to make pools.
"""

PRODUCT_REVIEW_TITLES = {
    5: (
        "Absolutely love it",
        "Exceeded my expectations",
        "Best purchase this year",
        "Five stars, no question",
        "Exactly what I wanted",
        "Brilliant quality",
        "Would buy again",
        "Worth every penny",
    ),
    4: (
        "Very good overall",
        "Happy with it",
        "Solid choice",
        "Great, with one small niggle",
        "Does the job well",
        "Good value",
        "Nearly perfect",
    ),
    3: (
        "It's okay",
        "Decent but not great",
        "Mixed feelings",
        "Average for the price",
        "Does what it says, nothing more",
        "Fine for now",
    ),
    2: (
        "Disappointed",
        "Not as described",
        "Expected better",
        "Quality could be better",
        "Wouldn't buy again",
    ),
    1: (
        "Stopped working",
        "Poor quality",
        "Waste of money",
        "Returned it",
        "Very disappointing",
        "Do not recommend",
    ),
}

PRODUCT_REVIEW_SENTENCES = {
    5: (
        "This {item} is fantastic for {use}.",
        "I have used it every day for a month and it still feels new.",
        "Having {feature} really makes the difference.",
        "Arrived quickly and well packed.",
        "Better than the more expensive one I had before.",
        "My whole family loves it.",
        "Setup took two minutes.",
    ),
    4: (
        "Works well for {use}.",
        "Good quality {item} for the price.",
        "Having {feature} is handy, though the instructions could be clearer.",
        "Took off a star because delivery was a little slow.",
        "Slightly smaller than I expected, but I'm happy with it.",
        "Would recommend it to a friend.",
    ),
    3: (
        "It's fine for {use}, nothing special.",
        "It has {feature}, but the finish feels cheap.",
        "An average {item}; it does the basics.",
        "Not bad, but I expected a bit more at this price.",
        "It took a while to get used to.",
    ),
    2: (
        "It didn't hold up well for {use}.",
        "I chose it for {feature}, which stopped working properly after a few weeks.",
        "Looks nicer in the photos than in real life.",
        "Customer service was slow to respond.",
        "I would look at other options first.",
    ),
    1: (
        "Broke within a week.",
        "Nothing like the description of the {item}.",
        "I bought it for {feature}, which never worked at all.",
        "I had to send it back and wait weeks for a refund.",
        "Save your money.",
    ),
}

BOOK_REVIEW_SENTENCES = {
    5: (
        "Couldn't put it down.",
        "A wonderful {item} for {use}.",
        "Beautifully written from the first page to the last.",
        "I have already bought a second copy as a gift.",
        "Arrived quickly and in perfect condition.",
    ),
    4: (
        "A really enjoyable {item}.",
        "Good for {use}, though the middle drags a little.",
        "Well written, with a slightly rushed ending.",
        "Would recommend it to a friend.",
    ),
    3: (
        "It was fine, but I expected more after the reviews.",
        "Some good moments, some slow chapters.",
        "An okay {item} for {use}.",
    ),
    2: (
        "I struggled to finish it.",
        "The print quality of my copy was poor.",
        "Not really my kind of {item}.",
    ),
    1: (
        "Gave up after fifty pages.",
        "My copy arrived with pages missing.",
        "Not worth the money.",
    ),
}

SELLER_REVIEW_TITLES = {
    5: ("Fantastic seller", "Fast and friendly", "Highly recommended", "Smooth from start to finish"),
    4: ("Good seller", "Reliable", "Would buy from again", "Quick delivery"),
    3: ("Okay experience", "Average service", "Slow but got there"),
    2: ("Slow to ship", "Poor communication", "Not great"),
    1: ("Avoid", "Never again", "Terrible service"),
}

SELLER_REVIEW_SENTENCES = {
    5: (
        "Shipped the same day and packed with care.",
        "Answered my question within an hour.",
        "Everything arrived exactly as described.",
        "Included a handwritten thank-you note.",
    ),
    4: (
        "Shipped within two days.",
        "Item as described, packaging could be better.",
        "Good communication throughout.",
        "Would order from them again.",
    ),
    3: (
        "Delivery took longer than promised.",
        "Had to ask twice for tracking details.",
        "The item was fine but the box was damaged.",
    ),
    2: (
        "Took over a week to ship.",
        "Replies were slow and vague.",
        "One item was missing and arrived later.",
    ),
    1: (
        "Never replied to my messages.",
        "Sent the wrong item and refused to help.",
        "Arrived broken and the seller did not respond.",
    ),
}

# Messages in a buyer–seller thread, by who writes and whether they open the thread.
BUYER_OPENERS = (
    "Hi, when will my order ship?",
    "Hello! Could you send me the tracking number, please?",
    "Hi, is it possible to gift-wrap this order?",
    "Hi there, can you ship to my work address instead?",
    "Hi, could you tell me a little more about the {item} before it ships?",
    "Hi, I ordered the wrong size. Can I exchange it?",
)
SELLER_OPENERS = (
    "Thanks for your order! It will ship tomorrow morning.",
    "Hi, just letting you know your order is packed and on its way.",
    "Thank you for buying from us. Let me know if you have any questions.",
)
SELLER_REPLIES = (
    "Thanks for your message! It ships today and tracking follows by e-mail.",
    "Of course, happy to help. I've updated the order.",
    "Happy to help: it is exactly as described in the listing.",
    "Sorry for the delay, it went out this morning.",
    "No problem at all, I'll sort that out for you.",
)
BUYER_REPLIES = (
    "Great, thank you!",
    "Thanks for the quick reply.",
    "Perfect, much appreciated.",
    "It arrived today, thanks again!",
    "Got it, thanks.",
)
