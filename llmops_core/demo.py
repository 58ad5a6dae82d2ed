"""Deterministic, realistic demo content: support questions and model answers of varied quality.

Pure: no Django. The quality of each answer is decided by a seeded generator and shows in the
text (hedging, repetition, unsupported claims, off-topic padding), so human reviewers and the
demo judge see the same signal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PRODUCTS = ["Acme Cloud Backup", "Acme Notes", "Acme Pay", "Acme Router X2", "Acme Fitness Band"]
QUESTIONS = [
    ("How do I reset my password?", "password"),
    ("Why was I charged twice this month?", "billing"),
    ("Can I export my data to CSV?", "export"),
    ("The app crashes when I open settings. What should I do?", "crash"),
    ("How do I cancel my subscription?", "cancel"),
    ("Does it work offline?", "offline"),
    ("How can I add a second user to my account?", "users"),
    ("My device will not pair over Bluetooth.", "pairing"),
    ("Where can I download my invoices?", "invoices"),
    ("Is my data encrypted?", "security"),
    ("How do I change the language of the interface?", "language"),
    ("The sync has been stuck at 99% for an hour.", "sync"),
]
GOOD = {
    "password": 'Open the sign-in page, choose "Forgot password", and follow the link we email '
    "you. The link is valid for 30 minutes.",
    "billing": "A double charge is usually a pending authorisation that drops off within 3 to 5 "
    "business days. If both charges settle, reply with the last four digits of the card and we "
    "will refund the duplicate.",
    "export": "Yes. Go to Settings → Data → Export and choose CSV. Large exports are emailed to "
    "you as a download link.",
    "crash": "Please update to the latest version first. If it still crashes, clear the app cache "
    "(Settings → Storage → Clear cache) and send us the crash ID shown after restarting.",
    "cancel": "Go to Account → Subscription → Cancel. You keep access until the end of the "
    "current billing period, and no further charges are made.",
    "offline": "Yes, the main features work offline. Changes are stored on the device and sync "
    "automatically the next time you are online.",
    "users": "On the Team plan, open Account → Members → Invite and enter their email address. "
    "They receive an invitation valid for 7 days.",
    "pairing": "Turn Bluetooth off and on, keep the device within one metre, and hold the button "
    "for 5 seconds until the light blinks blue. Then choose it in the app's Pair screen.",
    "invoices": "Invoices are under Account → Billing → Invoices, where each one can be "
    "downloaded as a PDF.",
    "security": "Yes. Data is encrypted in transit with TLS and at rest with AES-256.",
    "language": "Open Settings → General → Language and pick one; the interface switches at once.",
    "sync": "Sync can stall on a very large file. Pause and resume sync from the status menu; if "
    "it stays stuck, sign out and in again, which restarts the upload safely.",
}
HEDGES = ["I'm not sure, but", "Maybe", "It might be that", "Possibly"]
UNSUPPORTED = [
    "This issue affects 87% of all customers worldwide.",
    "Our engineers fixed this permanently in 2019.",
    "This is required by European law since last week.",
    "Every other provider charges three times as much for this.",
]
PADDING = [
    "Thank you for being a valued customer of our wonderful products.",
    "We are always working hard to improve the experience for everyone.",
    "Did you know we also offer premium support plans?",
]


@dataclass(frozen=True)
class DemoInput:
    key: str
    question: str
    product: str
    topic: str


def demo_inputs(count: int, seed: int = 7) -> list[DemoInput]:
    """Return ``count`` support questions, deterministic for a seed."""
    rng = random.Random(seed)
    inputs = []
    for i in range(count):
        question, topic = QUESTIONS[i % len(QUESTIONS)]
        product = PRODUCTS[(i * 7 + rng.randrange(len(PRODUCTS))) % len(PRODUCTS)]
        inputs.append(DemoInput(key=f"q{i:04d}", question=question, product=product, topic=topic))
    return inputs


def demo_answer(item: DemoInput, *, quality: float, rng: random.Random) -> str:
    """Write an answer whose flaws grow as ``quality`` (0..1) falls."""
    text = GOOD[item.topic]
    parts = []
    if quality < 0.5 and rng.random() < 0.7:
        parts.append(rng.choice(HEDGES))
    parts.append(text if quality >= 0.3 else text.split(".")[0] + ".")
    if quality < 0.55 and rng.random() < 0.6:
        parts.append(rng.choice(UNSUPPORTED))
    if quality < 0.7 and rng.random() < 0.5:
        parts.append(rng.choice(PADDING))
    answer = " ".join(parts)
    if quality < 0.35:
        words = answer.split()
        pos = rng.randrange(len(words))
        words.insert(pos, words[pos])
        answer = " ".join(words)
    return f"Thanks for reaching out about {item.product}. {answer}"


def demo_summary(item: DemoInput, *, quality: float, rng: random.Random) -> str:
    """Write a one-line ticket summary whose precision grows with ``quality``."""
    if quality > 0.7:
        return f'{item.product}: customer asks "{item.question}" ({item.topic}).'
    if quality > 0.4:
        return f"Customer has a question about {item.product}."
    return rng.choice(["Customer is unhappy.", "Ticket about a product.", "General enquiry."])
